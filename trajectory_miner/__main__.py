"""`python -m trajectory_miner` runs the command-line program."""

from trajectory_miner.cli import main

raise SystemExit(main())
