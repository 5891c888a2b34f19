"""May a model trained on one dataset be scored on another? One policy, for the runner and the audit.

A model's training record names the dataset it was trained on (``dataset``) and that dataset's
fingerprint (``dataset_fingerprint``). It may be scored on

* the same draw of the same dataset (the fingerprints agree: its test rows were held out), or
* a dataset derived from that draw (``digits-fair`` reuses the images and split of ``digits``),
  when the rows allow it: every scored test and non-member row is a held-out row of the base
  draw and every member row a training row (:func:`~latentbench.data.fairness.derived_binding`).

Anything else is refused with the reason (the tasks are then recorded as skipped).
"""

from __future__ import annotations

from .base import Dataset

__all__ = ["binding_problem"]


def binding_problem(model: str, trained_on: str | None, trained_fp: str | None, dataset: Dataset) -> str | None:
    """Why a model trained on ``trained_on`` (fingerprint ``trained_fp``) cannot be scored on ``dataset``, or ``None``.

    Parameters
    ----------
    model : str
        The model's name, for the message.
    trained_on, trained_fp : str or None
        From the model's training record; a model without one (a user's model) is never refused here.
    dataset : Dataset
    """
    if not trained_on:
        return None
    if trained_on != dataset.name and "derived_from" in dataset.metadata:
        from .fairness import derived_binding

        reason = derived_binding(trained_on, trained_fp, dataset)
        return None if reason is None else f"{model} cannot be scored on {dataset.name!r}: {reason}"
    if trained_on != dataset.name:
        return f"{model} was trained on {trained_on!r}; this task uses {dataset.name!r}"
    if trained_fp and trained_fp != dataset.fingerprint and dataset.metadata.get("limited_from") != trained_fp:
        # (a limited run's dataset keeps a prefix of every split of that draw: its test rows stay held out)
        return (f"{model} was trained on another draw of {dataset.name!r} (fingerprint {trained_fp}, "
                f"here {dataset.fingerprint}): its test rows are not held out from training")
    return None
