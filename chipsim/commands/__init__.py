"""One module per ``chipsim`` subcommand; each defines ``add_parser(subparsers)``."""
