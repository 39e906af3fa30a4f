from pinchpoint.cli.main import main

main()
