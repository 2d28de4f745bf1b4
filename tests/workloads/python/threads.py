# threads.py - two threads growing memory in two functions at once, 2:1
# (bytearrays, pages written, kept alive): each growth is the function of
# the thread that made it (tests/integration/python.sh).
import threading

kept = []


def grow_in_thread_a():
    for _ in range(4000):
        kept.append(bytearray(b"\x02" * 20000))


def grow_in_thread_b():
    for _ in range(2000):
        kept.append(bytearray(b"\x03" * 20000))


threads = [threading.Thread(target=grow_in_thread_a), threading.Thread(target=grow_in_thread_b)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done", len(kept))
