"""The study's stages, each one function that the notebooks and the CLI call.

Every stage of one benchmark starts from :func:`setup` (profile, benchmark items, folders,
device) and:

* owns its keys (:mod:`unpactlib.keys`): a unit of work (a model's scores, one method's
  contributions, one method's recovery) whose record holds the same key, with intact result
  files and this machine's stamp (:func:`unpactlib.records.stage_done`), is read, not
  recomputed;
* writes its results atomically into the run folders ``<results>/<profile>/<run id>/``;
* returns its tables, which the notebook shows.

:func:`run_target` fine-tunes the target and scores the base and target models;
:func:`run_unlearning` unlearns with each method and scores the result (T1);
:func:`run_attribution` computes every token's contribution under the target and each
unlearned model (F2, F3, F5, F6); :func:`run_recovery` asks the rewritten prompts (T2, F4);
:func:`run_ladder` runs every recovery attack on the lost items, against the base model and
the target; :func:`run_frontier` scores each method's update at several strengths (F1).
"""

from __future__ import annotations

from .attribution import AttributionResult, run_attribution
from .frontier import FrontierResult, run_frontier
from .ladder import LadderResult, run_ladder
from .recovery import RecoveryResult, run_recovery
from .study import ANSWERS, MC_SPANS, SPLITS, Study, setup
from .target import TargetResult, run_target
from .unlearning import UnlearningResult, run_unlearning

STAGES = {
    "target": run_target,
    "unlearning": run_unlearning,
    "attribution": run_attribution,
    "recovery": run_recovery,
    "ladder": run_ladder,
    "frontier": run_frontier,
}

__all__ = [
    "ANSWERS",
    "MC_SPANS",
    "SPLITS",
    "STAGES",
    "AttributionResult",
    "FrontierResult",
    "LadderResult",
    "RecoveryResult",
    "Study",
    "TargetResult",
    "UnlearningResult",
    "run_attribution",
    "run_frontier",
    "run_ladder",
    "run_recovery",
    "run_target",
    "run_unlearning",
    "setup",
]
