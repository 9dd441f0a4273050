from paperzoo.cli import main

main()
