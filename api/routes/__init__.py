"""One module per resource, each an ``APIRouter``; ``api/main.py`` gathers them."""
