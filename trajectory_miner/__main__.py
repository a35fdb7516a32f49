"""`python -m trajectory_miner` runs the command-line program."""

from trajectory_miner.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
