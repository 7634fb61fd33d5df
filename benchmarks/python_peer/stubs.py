"""Generates recd's Python gRPC stubs from proto/ at run time and imports them.

Generated code is never committed: protoc (protobuf-compiler) and
grpc_python_plugin (protobuf-compiler-grpc) write it into a temporary
directory once per process.
"""

import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PROTO_DIR = os.path.join(_ROOT, "proto")
_PLUGIN = os.environ.get("GRPC_PYTHON_PLUGIN", "/usr/bin/grpc_python_plugin")


def load():
    """Returns (recommender_pb2, recommender_pb2_grpc)."""
    out = tempfile.mkdtemp(prefix="recd-peer-stubs-")
    atexit.register(shutil.rmtree, out, True)
    protos = [os.path.join("recd", "v1", "recommender.proto"), os.path.join("recd", "v1", "echo.proto")]
    subprocess.run(["protoc", f"-I{_PROTO_DIR}", f"--python_out={out}", f"--grpc_python_out={out}",
                    f"--plugin=protoc-gen-grpc_python={_PLUGIN}", *protos], check=True)
    sys.path.insert(0, out)
    return (importlib.import_module("recd.v1.recommender_pb2"),
            importlib.import_module("recd.v1.recommender_pb2_grpc"))
