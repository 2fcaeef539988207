"""Pure readers of what people paste (node lists, errors, Dockerfiles, ...): one module per
kind of paste. Nothing here imports Flask, requests or Redis."""
