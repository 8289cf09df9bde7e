"""The cross-lingual eval suite: `blm eval --lang zh,en`."""
