from ipr_cli.cli import main

main()
