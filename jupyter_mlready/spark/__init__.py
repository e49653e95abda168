"""Spark DataFrames end to end (issue 18): train / hold-out / live batches that live on a Spark
cluster are checked on Spark, never collected to the driver.

- :mod:`.session`: recognising Spark frames, the notebook session's settings, starting a session
  from them in a fresh kernel;
- :mod:`.reference`: each input recorded by reference (table or files, snapshot, fingerprint), or
  staged once as parquet when it was built in the notebook;
- :mod:`.contract`, :mod:`.hashing`, :mod:`.scoring`, :mod:`.metrics`, :mod:`.profile`: the exact
  (and, for drift, sketched) answers computed by Spark jobs;
- :mod:`.sample`: the seeded sample the sampled checks read, recorded in readiness.json.

pyspark is an optional dependency (``pip install jupyter_mlready[spark]``): nothing here is
imported unless a Spark frame is found.
"""
