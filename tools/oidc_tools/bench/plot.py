"""The figure of docs/performance.md, drawn from one `make bench` run: the warm path by phase, and Argon2id's time
against Lambda memory size. matplotlib is a development dependency only (requirements-dev.txt)."""

from __future__ import annotations

from pathlib import Path


def plot(run, path: Path, *, warm_order: list[str], chosen_memory_mb: int, full_vcpu_mb: int) -> None:
    """`warm_order` names the warm requests top to bottom; `chosen_memory_mb` is the template's TokenFunction memory
    and `full_vcpu_mb` the size at which Lambda gives a whole vCPU. They come from the bench, which imports this
    module, so this one imports nothing of the bench's."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    import matplotlib.pyplot as plt

    figure, (phases_axis, memory_axis) = plt.subplots(1, 2, figsize=(13, 5.6), gridspec_kw={"width_ratios": [3, 2]})

    # Left: each warm request as a stacked bar of its median phases (CPU first, then waiting).
    shown = [name for name in warm_order if name in run.warm]
    phase_names = list(run.warm[shown[0]].phases) if shown else []
    colours = ["#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#c7c7c7"]
    lefts = [0.0] * len(shown)
    for phase, colour in zip(phase_names, colours, strict=False):
        widths = [run.warm[name].phases.get(phase, 0.0) for name in shown]
        phases_axis.barh(shown, widths, left=lefts, color=colour, label=phase)
        lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
    for index, name in enumerate(shown):
        floor = run.warm[name].floor.median
        phases_axis.plot([floor, floor], [index - 0.4, index + 0.4], color="black", linewidth=1.5)
    phases_axis.invert_yaxis()
    phases_axis.set_xlabel("ms (medians; black tick: the floor, Argon2id + RS256 [+ decryption])")
    phases_axis.set_title("Warm requests by phase (AWS emulated elsewhere)", fontsize=10)
    phases_axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8)

    # Right: the measured curve, the model, and the template's choice.
    if run.memory_curve:
        memories = sorted(run.memory_curve)
        full = run.memory_curve[max(memories)]
        memory_axis.plot(memories, [run.memory_curve[memory] for memory in memories], "o-",
                         label="measured (duty-cycled process)")
        memory_axis.plot(memories, [full * full_vcpu_mb / min(memory, full_vcpu_mb)
                                    for memory in memories], "--", label="model: full-core time / CPU share")
        memory_axis.axvline(chosen_memory_mb, color="grey", linestyle=":", label=f"template: {chosen_memory_mb} MB")
        memory_axis.set_yscale("log")
        memory_axis.set_xlabel("Lambda memory (MB); one vCPU at 1,769 MB")
        memory_axis.set_ylabel("Argon2id verify, wall ms (log)")
        memory_axis.set_title("Argon2id verify against memory (CPU share)", fontsize=10)
        memory_axis.legend(fontsize=8)

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
