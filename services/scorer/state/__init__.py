"""The scorer worker's account state: the states of the partitions it owns (partitions.py),
their restore from the changelog (recovery.py) and the commit of a batch (checkpoint.py).

Crash-safety invariants, which these pieces keep together:

1. A change is published only after a state holding it is stored in the changelog (written and
   acknowledged by the broker). A worker that dies before that leaves nothing behind: whoever
   reads the events again decides afresh.
2. A worker that dies after it leaves the change in the stored state, and whoever restores that
   state sends it again, with the same change_id and the same content; then it stores the state
   again without it.
3. Input offsets are committed only after the batch's dead letters, states, changes and
   snapshots are acknowledged. A crash before the commit has the batch read again; the stored
   states hold the offsets they applied, so events already applied are skipped as duplicates.
4. Dead letters are sent first: records read again after a crash are skipped as already applied.
5. A state lives on the changelog partition of its account's input partition, so a worker
   restores exactly the partitions it is assigned, and forgets the states of those it loses.
6. While a rebalance is under way nothing is scored; a batch in flight stores its state and
   commits before partitions move.
"""
