"""The audit report: findings in plain words first, then numbers with intervals, settings, and what was not tested.

Reads result rows of the ``fairness`` and ``privacy`` task families (from the store or a fresh run;
never recomputes) and renders Markdown and a self-contained HTML page from one structure, so the
two cannot say different things.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .weat import is_weat, weat_findings, weat_settings, weat_table
from .leaderboard import is_symmetric

__all__ = ["AuditReport", "build_audit_report", "write_audit_report"]

Block = tuple[Any, ...]  # ("h2", text) | ("p", text) | ("ul", [items]) | ("table", header, rows)

#: What an audit never tests, whatever the model (said in every report).
ALWAYS_UNTESTED = (
    "Stronger attackers: optimization-based or generative-prior inversion, inverters trained for days (as vec2text does for "
    "text embeddings), shadow-model membership attacks (LiRA). Every risk here is a lower bound.",
    "Groups other than the dataset's sensitive attribute, and intersections of attributes.",
    "Whether the data or its labels are fair: the audit measures what the latent space adds to the bias its inputs already "
    "carry (amplification), not the bias of the inputs.",
    "Downstream tasks other than the dataset's label, and probes other than the one named in the settings.",
)

#: Said when no WEAT task ran (a model of images or other arrays).
WEAT_NOT_RUN = ("Word-embedding association (WEAT 1-10): it tests models of words, so it did not run here; "
                "`latentbench audit MODEL` on a word or sentence model runs the `audit-text` suite.")


#: Plain words for every metric the fairness and privacy tasks store (the raw name is in the hover and in brackets).
PLAIN_NAMES = {
    "dp_amplification": "Demographic-parity gap added by the latents (latent probe minus input probe)",
    "eo_amplification": "Equalized-odds gap added by the latents (latent probe minus input probe)",
    "latent_accuracy": "Label accuracy of a probe on the latents",
    "input_accuracy": "Label accuracy of the same probe on the raw inputs",
    "chance_accuracy": "Accuracy of always predicting the majority label",
    "latent_dp_diff": "Demographic-parity difference of the latent probe (gap in positive-prediction rates between groups)",
    "input_dp_diff": "Demographic-parity difference of the input probe",
    "latent_eo_diff": "Equalized-odds difference of the latent probe (largest gap in true- or false-positive rates)",
    "input_eo_diff": "Equalized-odds difference of the input probe",
    "latent_dp_ratio": "Demographic-parity ratio of the latent probe (lower positive rate over the higher; 1 is parity)",
    "input_dp_ratio": "Demographic-parity ratio of the input probe",
    "latent_eo_ratio": "Equalized-odds ratio of the latent probe (1 is parity)",
    "input_eo_ratio": "Equalized-odds ratio of the input probe",
    "latent_dba": "Bias amplification from group to prediction, latent probe",
    "input_dba": "Bias amplification from group to prediction, input probe",
    "dba_amplification": "Bias amplification from group to prediction added by the latents",
    "latent_dba_t_to_a": "Bias amplification from label to predicted group, latent probe",
    "leakage_auroc": "How well the sensitive attribute is predicted from the latents (AUROC; 0.5 is chance)",
    "input_leakage_auroc": "How well the sensitive attribute is predicted from the raw inputs (AUROC)",
    "label_leakage_auroc": "How well the sensitive attribute is predicted from the label alone (AUROC)",
    "leakage_excess": "Attribute leakage beyond what the label explains (AUROC difference)",
    "inversion_risk": "Inversion risk: how much better than a baseline an attacker rebuilds the inputs (0 to 1)",
    "mse_attack": "Reconstruction error of the best attacker (per-pixel MSE)",
    "mse_ridge": "Reconstruction error of the ridge-regression attacker",
    "mse_mlp": "Reconstruction error of the neural-network attacker",
    "mse_mean_baseline": "Reconstruction error of guessing the average input",
    "mse_nn_baseline": "Reconstruction error of the nearest known example in latent space",
    "psnr_attack": "Reconstruction quality of the best attacker (PSNR, dB)",
    "psnr_mean_baseline": "Reconstruction quality of guessing the average input (PSNR, dB)",
    "psnr_nn_baseline": "Reconstruction quality of the nearest known example (PSNR, dB)",
    "ssim_attack": "Structural similarity of the best attacker's reconstructions (SSIM)",
    "ssim_mean_baseline": "Structural similarity of the average input (SSIM)",
    "ssim_nn_baseline": "Structural similarity of the nearest known example (SSIM)",
    "attribute_risk": "Attribute-inference risk: advantage over chance at guessing the sensitive attribute (0 to 1)",
    "attribute_bal_acc_z": "Balanced accuracy of guessing the sensitive attribute from the latents",
    "attribute_bal_acc_inverted": "Balanced accuracy of guessing the sensitive attribute from the rebuilt inputs",
    "membership_risk": "Membership-inference risk: how well training members are told apart (0 to 1)",
    "membership_auroc": "Telling members from non-members, best signal (AUROC; 0.5 is chance)",
    "membership_tpr_at_low_fpr": "Members caught at a low false-alarm rate (true-positive rate)",
    "membership_low_fpr": "The false-alarm rate of that true-positive rate",
    "membership_auroc_reconstruction": "Telling members apart by reconstruction error (AUROC)",
    "membership_auroc_elbo": "Telling members apart by the ELBO (AUROC)",
    "membership_auroc_latent_distance": "Telling members apart by latent distance to known members (AUROC)",
}

#: A demographic-parity or equalized-odds difference of a probe at or above these is flagged as a large
#: absolute disparity (medium, high), whatever the latents add to it: 0.1 is the gap fairness toolkits
#: commonly treat as material (a 10-point difference in positive-prediction rates).
DISPARITY_THRESHOLDS = (0.1, 0.2)

SEVERITIES = ("high", "medium", "low", "ok", "info")


def plain_name(metric: str) -> str:
    """The metric in plain words (the raw name itself when it has none)."""
    return PLAIN_NAMES.get(metric, metric.replace("_", " "))


def group_names(metadata: Mapping[str, Any], groups: Iterable[Any]) -> dict[str, str]:
    """Names for the sensitive groups (``"0"``, ``"1"``) from the dataset's metadata.

    ``group_names`` in the metadata wins; otherwise a binary attribute described as ``"race (1 = black)"``
    names group 1 ``black`` and group 0 ``not black``, and one described as ``"heavy stroke (...)"``
    names them ``heavy stroke`` and ``not heavy stroke``. The code stays beside the name.
    """
    codes = [str(g) for g in groups]
    given = metadata.get("group_names")
    if isinstance(given, Mapping):
        return {g: f"{given.get(g, given.get(int(g) if g.lstrip('-').isdigit() else g, g))} ({g})" for g in codes}
    desc = str(metadata.get("sensitive_name") or "")
    if not desc or set(codes) - {"0", "1"}:
        return {g: f"group {g}" for g in codes}
    import re

    m = re.search(r"\(1 = ([^)]+)\)", desc)
    one = m.group(1).strip() if m else desc.split(" (")[0].strip()
    return {g: (f"{one} (1)" if g == "1" else f"not {one} (0)") for g in codes}


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    v = float(v)
    if abs(v) < 1e-300:
        return "0"
    if abs(v) < 1e-3 or abs(v) >= 1e5:
        return f"{v:.2e}"
    return f"{v:.{digits}f}"


def _ci(r: Mapping[str, Any] | None) -> str:
    if not r or r.get("ci_low") is None or r.get("ci_high") is None:
        return "–"
    return f"{_fmt(r['ci_low'])} to {_fmt(r['ci_high'])}"


def _params(row: Mapping[str, Any]) -> dict[str, Any]:
    p = row.get("params")
    if isinstance(p, str):
        try:
            p = json.loads(p)
        except ValueError:
            p = {}
    return p or {}


class AuditReport:
    """The rendered audit: ``blocks`` (the structure), :meth:`to_markdown` and :meth:`to_html`."""

    def __init__(self, title: str, blocks: list[Block]) -> None:
        self.title, self.blocks = title, blocks

    def to_markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            kind = b[0]
            if kind == "h2":
                out += [f"## {b[1]}", ""]
            elif kind == "h3":
                out += [f"### {b[1]}", ""]
            elif kind == "p":
                out += [b[1], ""]
            elif kind == "ul":
                out += [f"- {item}" for item in b[1]] + [""]
            elif kind == "findings":
                out += [f"- {text}" + (f" *(severity: {sev})*" if sev in ("high", "medium", "low") else "") for sev, text in b[1]] + [""]
            elif kind == "figure":
                out += [f"![{b[1]}](plots/{b[1]}.png)", "", f"*{b[3]}*", ""]
            elif kind == "metrics":
                out.append("| " + " | ".join(b[1]) + " |")
                out.append("|" + "|".join("---" for _ in b[1]) + "|")
                out += ["| " + " | ".join([f"{plain_name(r[0])} (`{r[0]}`)", *(str(c).replace("|", "\\|") for c in r[1:4])]) + " |"
                        for r in b[2]]
                out.append("")
            elif kind == "table":
                header, rows = b[1], b[2]
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "|".join("---" for _ in header) + "|")
                out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
                out.append("")
        return "\n".join(out).rstrip() + "\n"

    def to_html(self) -> str:
        def md_inline(text: str) -> str:
            t = html.escape(text)
            parts = t.split("**")
            t = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
            parts = t.split("`")
            return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))

        body = [f"<h1>{html.escape(self.title)}</h1>"]
        for b in self.blocks:
            kind = b[0]
            if kind in ("h2", "h3"):
                body.append(f"<{kind}>{md_inline(b[1])}</{kind}>")
            elif kind == "p":
                body.append(f"<p>{md_inline(b[1])}</p>")
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{md_inline(i)}</li>" for i in b[1]) + "</ul>")
            elif kind == "findings":
                body.append('<ul class="findings">' + "".join(
                    f'<li class="sev-{sev}"><span class="badge">{sev}</span> {md_inline(text)}</li>' for sev, text in b[1]) + "</ul>")
            elif kind == "figure":
                data = base64.b64encode(b[2]).decode("ascii")
                body.append(f'<figure id="fig-{html.escape(b[1])}"><img alt="{html.escape(b[3])}" src="data:image/png;base64,{data}">'
                            f"<figcaption>{md_inline(b[3])}</figcaption></figure>")
            elif kind == "metrics":
                head = "".join(f"<th>{md_inline(h)}</th>" for h in b[1])
                rows = "".join(f'<tr><td title="{html.escape(r[4] if len(r) > 4 else r[0])}">{html.escape(plain_name(r[0]))}'
                               f' <code class="raw">{html.escape(r[0])}</code></td>'
                               + "".join(f"<td>{md_inline(str(c))}</td>" for c in r[1:4]) + "</tr>" for r in b[2])
                body.append(f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
            elif kind == "table":
                head = "".join(f"<th>{md_inline(h)}</th>" for h in b[1])
                rows = "".join("<tr>" + "".join(f"<td>{md_inline(str(c))}</td>" for c in r) + "</tr>" for r in b[2])
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        style = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#222}"
                 "table{border-collapse:collapse;margin:0.5rem 0 1rem}td,th{border:1px solid #ccc;padding:0.2rem 0.5rem;text-align:left}"
                 "th{background:#f3f3f3}code{background:#f3f3f3;padding:0 0.2rem}h2{border-bottom:1px solid #ddd}"
                 "ul.findings{list-style:none;padding:0}ul.findings li{border-left:6px solid #999;background:#f6f6f6;margin:0.4rem 0;"
                 "padding:0.4rem 0.7rem}li.sev-high{border-color:#c62828!important;background:#fdecea!important}"
                 "li.sev-medium{border-color:#ef8f00!important;background:#fff4e0!important}"
                 "li.sev-low{border-color:#2e7d32!important;background:#eaf5ea!important}li.sev-ok{border-color:#2e7d32!important}"
                 ".badge{display:inline-block;font-size:0.75rem;font-weight:700;text-transform:uppercase;padding:0 0.4rem;"
                 "border-radius:3px;background:#666;color:#fff;margin-right:0.3rem}.sev-high .badge{background:#c62828}"
                 ".sev-medium .badge{background:#b26500}.sev-low .badge,.sev-ok .badge{background:#2e7d32}"
                 "code.raw{font-size:0.75rem;color:#666}figure{margin:0.5rem 0 1rem}figure img{max-width:100%}"
                 "figcaption{font-size:0.85rem;color:#555}")
        return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(self.title)}</title>"
                f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


# ---------------------------------------------------------------------------------------- building
def _by_task(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    tasks: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = tasks.setdefault(r["task"], {"family": r.get("family"), "status": r.get("status"), "message": r.get("message"),
                                         "metrics": {}, "params": _params(r), "seconds": r.get("seconds"), "dataset": r.get("dataset")})
        if r.get("status") != "ok":
            t["status"], t["message"] = r.get("status"), r.get("message")
        t["metrics"][r["metric"]] = r
    return tasks


def _val(m: Mapping[str, Any], key: str) -> float | None:
    r = m.get(key)
    v = None if r is None else r.get("value")
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)


def _by(value: float, low: float, high: float) -> str:
    """``value ± half-width (95% CI low to high)``, without the ``±`` part when the interval is not
    symmetric about the value (:func:`~latentbench.report.leaderboard.is_symmetric`)."""
    pm = f" ± {_fmt((high - low) / 2)}" if is_symmetric(value, low, high) else ""
    return f"{_fmt(value)}{pm} (95% CI {_fmt(low)} to {_fmt(high)})"


def _fairness_findings(t: Mapping[str, Any]) -> list[tuple[str, str]]:
    m, info = t["metrics"], t["params"].get("info", {})
    meta = info.get("dataset_metadata", {})
    attr = meta.get("sensitive_name", "the sensitive attribute")
    acc_l, acc_i, chance = _val(m, "latent_accuracy"), _val(m, "input_accuracy"), _val(m, "chance_accuracy")
    out: list[tuple[str, str]] = []
    lo = m.get("latent_accuracy", {}).get("ci_low")
    uninformative = acc_l is not None and chance is not None and (lo if lo is not None else acc_l) <= chance + 0.02
    for key, label in (("dp", "demographic-parity"), ("eo", "equalized-odds")):
        a = m.get(f"{key}_amplification") or {}
        av, alo, ahi = a.get("value"), a.get("ci_low"), a.get("ci_high")
        gl, gi = _val(m, f"latent_{key}_diff"), _val(m, f"input_{key}_diff")
        if av is None:
            continue
        tail = (f"a probe on the latents has {'an' if label[0] in 'aeiou' else 'a'} {label} difference of {_fmt(gl)}, the same probe on the raw inputs {_fmt(gi)} "
                f"(accuracies {_fmt(acc_l)} and {_fmt(acc_i)}; always predicting the majority label: {_fmt(chance)})")
        if uninformative:
            out.append(("medium", f"**{label.capitalize()}: not interpretable.** The latent probe predicts the label barely better than chance, "
                       f"so its gap is small because it predicts little, not because the latent space is fair; {tail}."))
        elif alo is not None and alo > 0:
            out.append(("high", f"**The latent space widens the {label} gap** by {_by(av, alo, ahi)}: {tail}."))
        elif ahi is not None and ahi < 0:
            out.append(("info", f"**The latent space narrows the {label} gap** by {_by(-av, -ahi, -alo)}; check the accuracy cost: {tail}."))
        else:
            out.append(("ok", f"**No detectable {label} amplification**: {_fmt(av)} (95% CI {_ci(a)}, which includes 0); {tail}."))
        if not uninformative and gl is not None and abs(gl) >= DISPARITY_THRESHOLDS[0]:
            out.append(_disparity_finding(label, key, gl, gi, av, alo, info, meta))
    lk, lab, inp = m.get("leakage_auroc"), _val(m, "label_leakage_auroc"), _val(m, "input_leakage_auroc")
    if lk and lk.get("value") is not None:
        ex = m.get("leakage_excess") or {}
        beyond = ("more than the label alone implies" if (ex.get("ci_low") or -1) > 0 else "no more than the label alone implies")
        out.append(("medium" if (ex.get("ci_low") or -1) > 0 else "info",
                    f"**Leakage**: {attr} is predicted from the latents with AUROC {_fmt(lk['value'])} (95% CI {_ci(lk)}), "
                    f"{beyond} (label alone: {_fmt(lab)}; raw inputs: {_fmt(inp)}; 0.5 is chance)."))
    dba = m.get("dba_amplification") or {}
    if dba.get("value") is not None:
        out.append(("info", f"Directional bias amplification A→T (Wang & Russakovsky 2021): latent probe {_fmt(_val(m, 'latent_dba'))}, "
                            f"input probe {_fmt(_val(m, 'input_dba'))}, difference {_fmt(dba['value'])} (95% CI {_ci(dba)})."))
    return out


def _disparity_finding(label: str, key: str, gl: float, gi: float | None, av: float | None, alo: float | None,
                       info: Mapping[str, Any], meta: Mapping[str, Any]) -> tuple[str, str]:
    """A large absolute gap of the latent probe, flagged whatever the latents add to it."""
    sev = "high" if abs(gl) >= DISPARITY_THRESHOLDS[1] else "medium"
    rates = ((info.get("by_group") or {}).get("latent") or {})
    names = group_names(meta, rates)
    if key == "dp":
        what = "positive-prediction rate"
        per = "; ".join(f"{names[g]}: {_fmt(v.get('selection_rate'))}" for g, v in rates.items() if v.get("selection_rate") is not None)
    else:
        what = "true- and false-positive rates"
        per = "; ".join(f"{names[g]}: {_fmt(v.get('tpr'))} and {_fmt(v.get('fpr'))}" for g, v in rates.items() if v.get("tpr") is not None)
    added = (alo is not None and alo > 0)
    source = ("and the latent space adds to it" if added else
              f"the latent space does not add it (amplification {_fmt(av)}); it carries over the gap the raw inputs already "
              f"show (input probe {_fmt(gi)})")
    return (sev, f"**Large absolute {label} difference: {_fmt(gl)}** in a probe on the latents (flagged from "
                 f"{DISPARITY_THRESHOLDS[0]}, high from {DISPARITY_THRESHOLDS[1]}); {source}. "
                 + (f"{what.capitalize()} by group: {per}. " if per else "")
                 + "A model built on these latents will show this gap unless it is corrected downstream.")


def _sev(verdict: Any) -> str:
    v = str(verdict or "").lower()
    return v if v in ("high", "medium", "low") else "info"


def _privacy_findings(t: Mapping[str, Any]) -> list[tuple[str, str]]:
    m, info = t["metrics"], t["params"].get("info", {})
    out: list[tuple[str, str]] = []
    inv = info.get("inversion", {})
    r = m.get("inversion_risk") or {}
    if r.get("value") is not None:
        ssim = _val(m, "ssim_attack")
        ssim_txt = f", SSIM {_fmt(ssim)} vs {_fmt(_val(m, 'ssim_' + inv.get('strongest_baseline', 'nn') + '_baseline'))}" if ssim is not None else ""
        out.append((_sev(inv.get("verdict")),
            f"**Inversion risk: {inv.get('verdict', '?').upper()}** ({_fmt(r['value'])}, 95% CI {_ci(r)}). An attacker holding "
            f"{info.get('n_auxiliary', '?')} auxiliary (x, z) pairs reconstructs the audited inputs with the {inv.get('best_attacker', '?')} "
            f"inverter at MSE {_fmt(_val(m, 'mse_attack'), 4)} (PSNR {_fmt(_val(m, 'psnr_attack'), 1)} dB{ssim_txt}), against "
            f"{_fmt(_val(m, 'mse_' + inv.get('strongest_baseline', 'nn') + '_baseline'), 4)} for the best baseline "
            f"({'auxiliary mean' if inv.get('strongest_baseline') == 'mean' else 'nearest auxiliary neighbour in latent space'}). "
            f"This is a lower bound on what a stronger attacker could do."))
    att = info.get("attribute", {})
    ar = m.get("attribute_risk") or {}
    if ar.get("value") is not None:
        out.append((_sev(att.get("verdict")), f"**Attribute-inference risk: {att.get('verdict', '?').upper()}** ({_fmt(ar['value'])}, 95% CI {_ci(ar)}): balanced "
                   f"accuracy {_fmt(_val(m, 'attribute_bal_acc_z'))} from the latents and {_fmt(_val(m, 'attribute_bal_acc_inverted'))} "
                   f"from the inverted inputs ({att.get('classes', 2)} classes; chance {_fmt(1 / att.get('classes', 2))})."))
    elif att:
        out.append(("info", f"Attribute inference was not tested: {att.get('why', 'see settings')}."))
    mem = info.get("membership", {})
    mr = m.get("membership_risk") or {}
    if mr.get("value") is not None:
        out.append((_sev(mem.get("verdict")), f"**Membership-inference risk: {mem.get('verdict', '?').upper()}** ({_fmt(mr['value'])}, 95% CI {_ci(mr)}): "
                   f"the {mem.get('best_signal', '?')} signal separates members from non-members with AUROC "
                   f"{_fmt(_val(m, 'membership_auroc'))} (95% CI {_ci(m.get('membership_auroc'))}) and a TPR of "
                   f"{_fmt(_val(m, 'membership_tpr_at_low_fpr'))} at {_fmt(_val(m, 'membership_low_fpr'), 2)} FPR "
                   f"({mem.get('low_fpr_reason', '')}). This assumes {mem.get('assumption', 'the model was trained on the member rows')}."))
    elif mem:
        out.append(("info", f"Membership inference was not tested: {mem.get('why', 'see settings')}."))
    return out


def _table_metrics(metrics: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The stored metrics of one task in the order its task declares them (``metric_rank``, stored
    with each row; rows stored before it was kept come alphabetically)."""
    return sorted(metrics, key=lambda m: (metrics[m].get("metric_rank") is None, metrics[m].get("metric_rank") or 0, m))


def _settings(t: Mapping[str, Any]) -> list[str]:
    p, info = t["params"], t["params"].get("info", {})
    est = p.get("estimator", {}).get("params", {})
    items = []
    if t["family"] == "fairness":
        pr = info.get("probe", {})
        items.append(f"Probes: {pr.get('kind', '?')} (C = {pr.get('C')}, {pr.get('standardization', '')}"
                     f"{', hidden ' + str(pr['hidden']) if 'hidden' in pr else ''}), the same recipe on latents and on raw inputs; "
                     f"trained on {info.get('n_train', '?')} train rows, scored on {info.get('n_test', '?')} test rows.")
        bs = info.get("bootstrap", {})
        items.append(f"Intervals: {bs.get('confidence', 0.95):.0%} percentile bootstrap, {bs.get('resamples', '?')} resamples of the test "
                     f"predictions, the same resamples for every number (probes are not refitted).")
        if info.get("groups"):
            items.append("Test rows per group: " + ", ".join(f"{g}: {c}" for g, c in info["groups"].items()) +
                         "; label base rate per group: " + ", ".join(f"{g}: {_fmt(v)}" for g, v in info.get("test_base_rates", {}).items()) + ".")
    else:
        for name, a in info.get("attackers", {}).items():
            if name == "ridge":
                items.append(f"Ridge inverter: {a.get('kind')}, alpha {a.get('alpha')} chosen by {a.get('selection')} from {a.get('alphas')}.")
            else:
                items.append(f"Trained inverter: {a.get('architecture')} (hidden {a.get('hidden')}), budget {a.get('steps')} Adam steps "
                             f"(lr {a.get('lr')}, batch {a.get('batch_size')}), best held-out MSE {_fmt(a.get('val_mse'), 4)} at step "
                             f"{a.get('best_step')} on {a.get('n_val')} held-out auxiliary pairs; {_fmt(a.get('seconds'), 1)} s on {a.get('device')}.")
        items.append(f"Attacker's auxiliary pairs: {info.get('n_auxiliary')}; audited rows: {info.get('n_audited')}; baselines: the auxiliary "
                     f"mean and the nearest auxiliary neighbour in (standardized) latent space.")
        if "ssim" in info:
            items.append(f"SSIM: {info['ssim']}.")
        mem = info.get("membership", {})
        if mem.get("signals"):
            items.append("Membership signals: " + "; ".join(f"{k}: AUROC {_fmt(v['auroc'])} on {v['n_members']} members and "
                                                             f"{v['n_non_members']} non-members" for k, v in mem["signals"].items()) + ".")
        th = info.get("thresholds", [0.2, 0.5])
        items.append(f"Verdicts on the lower end of each {info.get('bootstrap', {}).get('confidence', 0.95):.0%} interval: high from {th[1]}, "
                     f"medium from {th[0]}, low below. Risks: inversion 1 - MSE_attack / min(MSE_baselines); attribute "
                     f"(balanced accuracy - 1/K) / (1 - 1/K); membership 2 AUROC - 1; each clipped to [0, 1].")
    if est:
        items.append("Task parameters: " + ", ".join(f"{k} = {v}" for k, v in sorted(est.items())) + ".")
    return items


def build_audit_report(rows: Sequence[Mapping[str, Any]], *, model: str, dataset: str | None = None,
                       header: str | None = None, seconds: float | None = None,
                       artifact: Callable[[Mapping[str, Any], str], Any] | None = None, plots: bool = True) -> AuditReport:
    """Build the audit report of one model from its result rows (fairness and privacy families).

    Parameters
    ----------
    rows : sequence of dict
        Result rows (``Results.rows`` or the store's rows) of one model.
    model : str
        Its name, for the title.
    dataset : str, optional
        The dataset audited (taken from the rows when omitted).
    header : str, optional
        A line on how the report was made (command, device, store).
    seconds : float, optional
        Wall time of the audit, shown in the header.
    artifact : callable, optional
        ``artifact(row, name)`` -> the stored array (``ResultStore.artifact``): the membership scores and the
        inversions the privacy task stores, for the ROC curve and the grid of originals and inversions.
    plots : bool, default=True
        Draw the figures (matplotlib): per-group bars, the membership ROC curve, the inversion grid.
    """
    rows = [r for r in rows if r.get("family") in ("fairness", "privacy") and (r.get("model") in (None, model))]
    tasks = _by_task(rows)
    dataset = dataset or next((t["dataset"] for t in tasks.values() if t.get("dataset")), "?")
    blocks: list[Block] = []
    if header:
        blocks.append(("p", header + (f" Audit time: {seconds:.0f} s." if seconds is not None else "")))
    findings: list[tuple[str, str]] = []
    not_tested: list[str] = []
    for name, t in sorted(tasks.items(), key=lambda kv: (kv[1]["family"] != "fairness", kv[0])):
        if t["status"] != "ok":
            not_tested.append(f"`{name}` was {t['status']}: {t['message']}")
            findings.append(("medium", f"The {t['family']} audit (`{name}`) was {t['status']}: {t['message']}."))
            continue
        if is_weat(t):  # a word model's association tests (report/weat.py)
            findings += weat_findings(name, t)
            continue
        findings += _fairness_findings(t) if t["family"] == "fairness" else _privacy_findings(t)
        info = t["params"].get("info", {})
        if t["family"] == "privacy":
            for part in ("attribute", "membership"):
                if info.get(part, {}).get("verdict") == "not tested":
                    not_tested.append(f"{part.capitalize()} inference: {info[part].get('why')}.")
            for sig, why in info.get("membership", {}).get("not_run", {}).items():
                not_tested.append(f"Membership signal '{sig}': {why}.")
            if info.get("ssim", "").startswith("not computed"):
                not_tested.append("SSIM: the inputs are not images.")
        elif info.get("leakage"):
            not_tested.append(f"Leakage: {info['leakage']}.")
    if not tasks:
        findings.append(("info", "No fairness or privacy results for this model."))
    blocks += [("h2", "Findings"), ("findings", findings)]
    blocks.append(("h2", "Numbers"))
    if not any(t["status"] == "ok" for t in tasks.values()):
        blocks.append(("p", "None: no audit task ran (see the findings for why)."))
    if any(is_weat(t) for t in tasks.values()):
        blocks.append(("h3", "word-embedding association tests (WEAT, Caliskan et al. 2017)"))
        blocks.append(("table", *weat_table(tasks)))
    for name, t in sorted(tasks.items(), key=lambda kv: (kv[1]["family"] != "fairness", kv[0])):
        if t["status"] != "ok" or is_weat(t):
            continue
        blocks.append(("h3", f"{name} ({t['family']})"))
        table = []
        for metric in _table_metrics(t["metrics"]):
            r = t["metrics"].get(metric)
            if r is None or r.get("value") is None:
                continue
            table.append((metric, _fmt(r["value"], 4), _ci(r), r.get("n") if r.get("n") is not None else "–",
                          f"{metric}: {r.get('ci_method') or 'no interval'}"))
        blocks.append(("metrics", ["metric", "value", "95% CI", "n"], table))
        by_group = t["params"].get("info", {}).get("by_group")
        if by_group:
            grows = []
            names = group_names(t["params"].get("info", {}).get("dataset_metadata", {}),
                                {g for groups in by_group.values() for g in (groups or {})})
            for probe, groups in by_group.items():
                for g, vals in (groups or {}).items():
                    grows.append((probe, names.get(str(g), g), _fmt(vals.get("accuracy")), _fmt(vals.get("selection_rate")), _fmt(vals.get("tpr")),
                                  _fmt(vals.get("fpr")), int(vals.get("count", 0))))
            blocks.append(("p", "Per group (fairlearn `MetricFrame` on the test predictions):"))
            blocks.append(("table", ["probe", "group", "accuracy", "positive-prediction rate", "TPR", "FPR", "count"], grows))
            png = _figure(lambda: group_bars_png(by_group, names)) if plots else None
            if png:
                blocks.append(("figure", f"groups-{_slug(name)}", png,
                               "Each group's accuracy, positive-prediction rate, true- and false-positive rates, for the probe on the "
                               "latents and on the raw inputs (95% Wilson intervals over the group's test rows on the first two; the "
                               "TPR and FPR denominators are not stored, so they have none). Bars of unequal height in the second "
                               "group are the demographic-parity gap; in the third and fourth, the equalized-odds gap."))
        if t["family"] == "privacy" and plots and artifact is not None:
            blocks += _privacy_figures(name, t, artifact)
    blocks.append(("h2", "Probe and attacker settings"))
    if not any(t["status"] == "ok" for t in tasks.values()):
        blocks.append(("p", "None: no audit task ran."))
    for name, t in sorted(tasks.items()):
        if t["status"] == "ok":
            blocks += [("h3", name), ("ul", weat_settings(t) if is_weat(t) else _settings(t))]
    weat_line = [] if any(is_weat(t) for t in tasks.values()) else [WEAT_NOT_RUN]
    blocks += [("h2", "Not tested"), ("ul", not_tested + list(ALWAYS_UNTESTED) + weat_line)]
    return AuditReport(f"Latent-space audit: {model} on {dataset}", blocks)


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in s).strip("-")


def _figure(draw: Callable[[], bytes | None]) -> bytes | None:
    """Draw one figure; ``None`` without matplotlib (a dev extra): the report then has its tables only."""
    try:
        return draw()
    except ImportError:  # pragma: no cover
        return None


def group_bars_png(by_group: Any, names: Mapping[str, str]) -> bytes | None:
    from .audit_plots import group_bars_png as draw

    return draw(by_group, names)


def _privacy_figures(name: str, t: Mapping[str, Any], artifact: Callable[[Mapping[str, Any], str], Any]) -> list[Block]:
    from .audit_plots import inversion_grid_png, membership_roc_png

    row = next(iter(t["metrics"].values()))
    info = t["params"].get("info", {})
    out: list[Block] = []
    x, r, shape = (artifact(row, f"inversion/{k}") for k in ("originals", "inverted", "obs_shape"))
    if x is not None and r is not None and shape is not None:
        png = _figure(lambda: inversion_grid_png(x, r, shape))
        if png:
            verdict = str(info.get("inversion", {}).get("verdict", "?")).upper()
            out.append(("figure", f"inversions-{_slug(name)}", png,
                        f"The first {len(x)} audited inputs (top) and what the {info.get('inversion', {}).get('best_attacker', '?')} "
                        f"attacker rebuilds from their latents alone (bottom); inversion risk {verdict}. Recognisable "
                        "reconstructions are what the risk number means."))
    sm, sn = artifact(row, "membership/members"), artifact(row, "membership/non_members")
    if sm is not None and sn is not None:
        signal = info.get("membership", {}).get("best_signal", "best signal")
        png = _figure(lambda: membership_roc_png(sm, sn, signal=signal))
        if png:
            out.append(("figure", f"membership-roc-{_slug(name)}", png,
                        f"ROC curve of the {signal} membership signal (members positive): the diagonal is chance. The log-log "
                        "panel shows the low false-alarm corner, where an attacker who must be sure operates."))
    return out


def write_audit_report(report: AuditReport, out: str | Path, *, results_json: str | None = None) -> list[Path]:
    """Write ``audit.md`` and ``audit.html`` (and ``results.json`` when given, and the figures under
    ``plots/``) into folder ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "audit.md", out / "audit.html"]
    for b in report.blocks:
        if b[0] == "figure":
            (out / "plots").mkdir(exist_ok=True)
            paths.append(out / "plots" / f"{b[1]}.png")
            paths[-1].write_bytes(b[2])
    paths[0].write_text(report.to_markdown())
    paths[1].write_text(report.to_html())
    if results_json is not None:
        paths.append(out / "results.json")
        paths[-1].write_text(results_json)
    return paths
