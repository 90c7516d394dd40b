"""Distillation: a student (any model and method, or a model cut to fewer layers) taught by a recorded run,
merge or output ensemble.

- settings.py   the options (ranges in harness/ranges.py) and the spec entry they resolve to (checked before anything loads)
- teacher.py    finding and checking the teacher; its outputs on the training examples
- cache.py      those outputs kept by (teacher, example id) and reused across epochs, students and runs
- unlabeled.py  transfer examples only the teacher labels
- hidden.py     --distill-hidden: hidden states matched through hooks and learnt projections
- loss.py       alpha x gold loss + (1 - alpha) x T^2 x KL (squared error for regression)
- (harness/models/layers.py: --student-layers, N of a model's layers, every k-th)
- prepare.py    the pieces put together for a fine-tuning run
- retention.py  the student's score as a share of the teacher's, for the record
"""
