# The Docker SDK for Python against lade serve (61-api-containers.sh): containers, images,
# networks and exec. Prints "sdk ok".
import sys, docker
c = docker.DockerClient(base_url=sys.argv[1], version="1.41")
assert c.ping()
img = c.images.get("busybox")
out = c.containers.run("busybox", ["sh", "-c", "echo sdk-out"], remove=True)
assert out == b"sdk-out\n", out
net = c.networks.create("apicsdknet", driver="bridge")
ct = c.containers.run("busybox", ["sleep", "100"], detach=True, name="apicsdk", network="apicsdknet")
ct.reload()
assert ct.status == "running", ct.status
r = ct.exec_run(["sh", "-c", "echo exec-out; exit 3"])
assert r.exit_code == 3 and r.output == b"exec-out\n", r
assert any(x.name == "apicsdk" for x in c.containers.list())
net.reload()
assert "apicsdk" in [x.name for x in net.containers], net.attrs
ct.stop(timeout=1)
ct.reload()
assert ct.status == "exited", ct.status
assert ct.wait()["StatusCode"] in (137, 143), ct.wait()
ct.remove()
net.remove()
assert not [n for n in c.networks.list() if n.name == "apicsdknet"]
print("sdk ok")
