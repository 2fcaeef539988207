"""Pure readers of what people paste: node lists, errors, Dockerfiles, questions in words.

One module per paste kind; nothing here imports Flask, requests or Redis."""
