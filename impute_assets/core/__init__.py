"""The imputation engine: pandas + torch only (no warehouse, GE or Dagster).

Imported before torch is (every engine module sits in this package), it asks torch's OpenMP
threads to sleep while they wait instead of spinning (unless ``OMP_WAIT_POLICY`` is set): the
networks are small, and on a machine whose cores are busy with other work a spinning thread
only takes time from the one doing the work. With 2 threads on a shared 2-core machine, one
training step of the end-to-end benchmark took 0.7-1.3 s spinning and 0.03-0.06 s sleeping.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
