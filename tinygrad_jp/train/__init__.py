"""tinygrad_jp.train: the training loop, its history, callbacks and checkpoints.

    from tinygrad_jp.train import fit, EarlyStopping, ModelCheckpoint
    history = fit(model, nn.CrossEntropyLoss(), opt, train_loader, val_loader, epochs=5,
                  callbacks=[EarlyStopping(patience=2), ModelCheckpoint("runs/mlp")])
    history = fit(..., resume="runs/mlp")      # continue exactly where it stopped

See docs/en/training.md.
"""
from .callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    GradientNormRecorder,
    LambdaCallback,
    ModelCheckpoint,
)
from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .history import History
from .loop import NonFiniteLossError, Trainer, TrainingInterrupted, accuracy, evaluate, fit

__all__ = ["fit", "evaluate", "Trainer", "History", "accuracy", "Callback", "CallbackList",
           "LambdaCallback", "EarlyStopping", "ModelCheckpoint", "GradientNormRecorder",
           "Checkpoint", "CheckpointError", "save_checkpoint", "load_checkpoint",
           "NonFiniteLossError", "TrainingInterrupted"]
