"""Recognition on top of the motion model: few-shot/zero-shot classes, rejection, live use, evaluation."""
