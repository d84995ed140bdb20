"""Makes the .npy fixtures of NpyReaderTest with NumPy itself (an independent writer).

Run from this folder: python3 make_fixtures.py. Every array is small and its values follow from
its index, so the test can state them without reading NumPy: x[i] = i / 8 - 1 (floats), y[i] =
i % 10 (labels).
"""
import numpy as np

x = (np.arange(2 * 3 * 4) / 8 - 1).reshape(2, 3, 4)
np.save("x_f4.npy", x.astype("<f4"))
np.save("x_f8_big_endian.npy", x.astype(">f8"))
y = np.arange(7) % 10
np.save("y_i8.npy", y.astype("<i8"))
np.save("y_u1.npy", y.astype("u1"))
np.save("y_i4_big_endian.npy", y.astype(">i4"))
np.save("x_fortran.npy", np.asfortranarray(x.astype("<f4")))
# version 2.0: NumPy writes it when asked, or for headers over 65535 bytes
with open("x_f4_v2.npy", "wb") as f:
    np.lib.format.write_array(f, x.astype("<f4"), version=(2, 0))
