"""``python -m tokenizer_rs``: the command line."""

import sys

from .cli import main

sys.exit(main())
