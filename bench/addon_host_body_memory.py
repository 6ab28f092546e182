"""Peak RSS of the addon HTTP host while it takes one 100 MiB request body (docs/benchmarks.md, "Addons").

    /usr/bin/python3 bench/addon_host_body_memory.py ADDON_HOST_DIR ADDON_DIR URL_PATH raw|multipart

Starts `python3 -m anvil_addon_host serve-http` from ADDON_HOST_DIR, loads the addon at ADDON_DIR with
an empty request, then POSTs 100 MiB to URL_PATH (as one octet stream, or as the file part of a
multipart form with a `title` field) and prints the host's VmHWM before and after.
"""

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024


def main() -> None:
    host_dir, addon_dir, path, kind = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3], sys.argv[4]
    sock_path = os.path.join(tempfile.mkdtemp(), "host.sock")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONPATH": host_dir, "PYTHONDONTWRITEBYTECODE": "1",
           "ANVIL_HOST_MEMORY_LIMIT_MB": "2000", "ANVIL_API_URL": "http://127.0.0.1:9", "ANVIL_HOST_KEY": "k" * 64}
    process = subprocess.Popen([sys.executable, "-m", "anvil_addon_host", "serve-http", "--socket", sock_path], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(sock_path):
            time.sleep(0.05)
        user = base64.b64encode(json.dumps({"name": "bob", "data": {}}).encode()).decode()

        def peak() -> int:
            with open(f"/proc/{process.pid}/status") as status:
                return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))

        def post(chunks: list[bytes], content_type: str) -> str:
            with socket.socket(socket.AF_UNIX) as connection:
                connection.connect(sock_path)
                connection.sendall((f"POST {path} HTTP/1.1\r\nHost: h\r\nX-Anvil-Addon-Dir: {addon_dir}\r\n"
                                    f"X-Anvil-User: {user}\r\nContent-Type: {content_type}\r\n"
                                    f"Content-Length: {sum(map(len, chunks))}\r\n\r\n").encode())
                for chunk in chunks:
                    connection.sendall(chunk)
                return connection.recv(65536).split(b"\r\n")[0].decode()

        post([], "application/json")  # loads the addon
        before = peak()
        block = os.urandom(MIB)
        started = time.monotonic()
        if kind == "multipart":
            head = (b'--bnd\r\nContent-Disposition: form-data; name="title"\r\n\r\nt\r\n'
                    b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n')
            status = post([head, *[block] * 100, b"\r\n--bnd--\r\n"], "multipart/form-data; boundary=bnd")
        else:
            status = post([block] * 100, "application/octet-stream")
        print(f"{kind} POST {path}: {status} in {time.monotonic() - started:.2f} s; "
              f"host peak RSS {before} MiB before, {peak()} MiB after a 100 MiB body")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main()
