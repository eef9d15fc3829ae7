"""Writes .npy files for the runtime error tests into OUT_DIR."""
import sys

import numpy as np

out = sys.argv[1]
np.save(f"{out}/ids.npy", np.ones((2, 5), np.int64))
np.save(f"{out}/ids_int32.npy", np.ones((2, 5), np.int32))
np.save(f"{out}/ids_rank3.npy", np.ones((2, 5, 1), np.int64))
np.save(f"{out}/mask.npy", np.ones((2, 5), np.int64))
np.save(f"{out}/mask_batch3.npy", np.ones((3, 5), np.int64))
