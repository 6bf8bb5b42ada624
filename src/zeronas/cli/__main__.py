from zeronas.cli import main

main()
