"""The vectorized engine: the whole batch's event schedule with a few NumPy passes, no loop over events."""

from __future__ import annotations

import numpy as np

from .program import Program


def _ceil_div(a: np.ndarray, b: int) -> np.ndarray:
    return -(-a // b)


def fast_engine(
    prog: Program, active: np.ndarray, activations: np.ndarray, num_sends: int, wait: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Events and phase boundaries of a batch, computed in closed form.

    ``active`` (bool, (B, H, K)) marks the inputs that send an event, ``activations`` (int32,
    same shape) their values. Returns the event arrays in canonical order and the phase
    ``start``/``end`` cycles (B, P). The rules are those of :mod:`eventsim.model`; see
    ``docs/eventsim.md``. The link queue is a max-plus recursion over packets,
    ``slot[p] = max(ceil(request[p] / P), slot[p - 1] + 1)``, whose solution is
    ``slot[p] = p + cummax(ceil(request / P) - p)[p]``; each vector's events phase starts with an
    empty queue, so the running maximum restarts per vector (an offset per vector does that
    in one global ``maximum.accumulate``).
    """
    B, H, K = active.shape
    S, E, P = num_sends, prog.events_per_slot, prog.slot_period

    n = active.sum(axis=2, dtype=np.int64)  # events per send, (B, H)
    n_half = n * S  # events of each half, (B, H)
    n_pos = n_half.max(axis=1)  # positions of the longest half, (B,)
    first = n_pos[:, None] - n_half  # position of each half's first event

    # ---- events in canonical order (vector, half, send, row) -------------------------------
    # flat indices are cheaper to gather with than (b, h, k) tuples
    if S == 1:
        flat = np.flatnonzero(active)
        bh, k = np.divmod(flat, K)
        s = np.zeros(flat.shape, np.int64)
        group, per_group = bh, n.ravel()  # the events of one (vector, half)
    else:
        flat = np.flatnonzero(np.broadcast_to(active[:, :, None, :], (B, H, S, K)))
        bhs, k = np.divmod(flat, K)
        bh, s = np.divmod(bhs, S)
        flat = bh * K + k
        group, per_group = bhs, np.repeat(n.ravel(), S)  # the events of one (vector, half, send)
    b, h = np.divmod(bh, H)
    # index of a row among the active ones of its group: a group's events are consecutive and
    # in row order, so it is the event's index minus that of the group's first event
    group_start = np.cumsum(per_group) - per_group
    rank = np.arange(flat.shape[0], dtype=np.int64) - group_start[group]
    j = first.ravel()[bh] + s * n.ravel()[bh] + rank  # position in the aligned stream

    # ---- packets: each position j holds one event per half that has started; a packet is up to
    # E events of one position (halves in order), one packet per link slot ----------------------
    n_groups = n_pos
    g_off = np.cumsum(n_groups) - n_groups
    G = int(n_groups.sum())
    gb = np.repeat(np.arange(B, dtype=np.int64), n_groups)
    gj = np.arange(G, dtype=np.int64) - np.repeat(g_off, n_groups)
    if E >= H:
        # every position fits one slot: packet index == position
        n_packets = n_pos
        p_off = g_off
        pb, pj, p_local = gb, gj, gj
        ev_packet = p_off[b] + j
    else:
        started = first[gb] <= gj[:, None]  # (G, H): halves present at j
        per_group = _ceil_div(started.sum(axis=1), E)
        n_packets = np.bincount(gb, weights=per_group, minlength=B).astype(np.int64)
        p_off = np.cumsum(n_packets) - n_packets
        pb = np.repeat(gb, per_group)
        pj = np.repeat(gj, per_group)
        p_local = np.arange(pb.shape[0], dtype=np.int64) - np.repeat(p_off, n_packets)
        # packets before position j of vector b: sum over spans where m halves are present
        bounds = np.concatenate([np.sort(first, axis=1), n_pos[:, None]], axis=1)  # (B, H + 1)
        before = np.zeros(b.shape, np.int64)
        for m in range(1, H + 1):
            lo, hi = bounds[b, m - 1], bounds[b, m]
            before += _ceil_div(np.array(m), E) * np.clip(np.minimum(j, hi) - lo, 0, None)
        q = np.zeros(b.shape, np.int64)  # rank of the event within its position
        for other in range(H - 1):
            q += (other < h) & (first[b, other] <= j)
        ev_packet = p_off[b] + before + q // E

    a = _ceil_div(pj * wait, P)  # earliest slot of each packet
    big = int(a.max(initial=0)) + int(n_packets.max(initial=0)) + 2
    shift = pb * big
    slot = np.maximum.accumulate(a - p_local + shift) - shift + p_local

    # ---- phase timeline ----------------------------------------------------------------------
    has = n_packets > 0
    slots_used = np.zeros(B, np.int64)  # slot of the last packet + 1
    slots_used[has] = slot[(p_off + n_packets - 1)[has]] + 1
    ev_len = np.maximum(n_pos * wait, slots_used * P)  # 0 when no half has an event
    dur = np.tile(np.asarray(prog.durations, np.int64), (B, 1))
    dur[:, prog.events_index] = ev_len
    end = np.cumsum(dur.ravel()).reshape(B, -1)
    start = end - dur

    ev_start = start[:, prog.events_index]
    origin = ev_start[b]
    departure = origin + slot[ev_packet] * P
    events = {
        "vector": b.astype(np.int64, copy=False),
        "send": s.astype(np.int32),
        "half": h.astype(np.int32),
        "row": k.astype(np.int32),
        "activation": activations.ravel()[flat].astype(np.int32, copy=False),
        "request": origin + j * wait,
        "departure": departure,
        "arrival": departure + prog.link_latency,
    }
    return events, start, end
