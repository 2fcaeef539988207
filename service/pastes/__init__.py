"""Pure readers of what people paste: one module per paste kind."""
