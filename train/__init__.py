"""Orchestration of sectarian-frames: corpus -> experiments -> evaluation -> registry -> scoring.

Sub-packages follow that flow and import only from earlier stages (see README, "Architecture"):
`corpus` (annotations and their checks), `experiments` (configs, cross-validation, the suite runner),
`evaluation` (reports, behaviour suite, model card, comparison), `scoring` (batch scoring and its engines)
and `bench` (benchmarks). At the top: `cli` (the `sectframes` command), `tracking` (the one module that
talks to MLflow) and small shared helpers (`paths`, `errors`, `console`, `plots`). Nothing here is imported
by `models/`, which is all a packaged model needs at inference.
"""
