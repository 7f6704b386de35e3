"""sklearn-compatible estimators."""
