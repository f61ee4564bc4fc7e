"""``python -m markovwire``: the command line (and, with no arguments, the terminal UI)."""

if __name__ == "__main__":
    from markovwire.tui.cli import main

    main()
