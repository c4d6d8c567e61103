from casereview.cli import main

main()
