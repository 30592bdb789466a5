"""``chipsim list-chips``: the built-in chip descriptions, by name, with their paths."""

from __future__ import annotations


def run(args) -> int:
    import hwdesc

    chips = hwdesc.builtin_chips()
    width = max(len(name) for name in chips)
    for name, path in chips.items():
        desc = hwdesc.load(path)
        k, m = desc.tile_shape
        line = f"{name:<{width}}  {desc.identity.title}; {desc.geometry.halves} halves of {k} x {m}"
        print(line if args.quiet else f"{line}\n{'':<{width}}  {path}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "list-chips",
        help="the built-in chips, usable by name (e.g. `chipsim simulate bss2`)",
        description="List the chip descriptions that ship with chipsim: name, title, geometry and "
        "the path of the YAML file (copy one to start a description of your own). Every command "
        "and chipsim.load() take these names as well as paths.",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="names and titles only, no paths")
    p.set_defaults(func=run)
