from validator_core.schema import main

main()
