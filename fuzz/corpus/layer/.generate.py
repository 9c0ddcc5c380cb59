#!/usr/bin/env python3
# Regenerates the fuzz-layer seed corpus (run from this directory). Dot-files are not replayed.
# Plain tars are cut right after their end-of-archive blocks to stay small.
import gzip, io, subprocess, tarfile

def ti(name, typ=tarfile.REGTYPE, link='', mode=0o644, data=b'', **kw):
    i = tarfile.TarInfo(name); i.type = typ; i.linkname = link; i.mode = mode
    i.size = len(data) if typ == tarfile.REGTYPE and not link else 0
    i.mtime = 1700000000
    for k, v in kw.items():
        setattr(i, k, v)
    return i, (io.BytesIO(data) if i.size else None)

def tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=fmt) as t:
        for i, f in entries:
            t.addfile(i, f)
        end = t.offset
    return buf.getvalue()[:end + 1024]

SYM, LNK, DIR = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE
corpus = {
    'basic.tar': [ti('etc/', DIR, mode=0o755), ti('etc/hosts', data=b'127.0.0.1 localhost\n'),
                  ti('etc/link', SYM, 'hosts'), ti('etc/hard', LNK, 'etc/hosts'),
                  ti('bin/su', mode=0o4755, data=b'x', uid=0, gid=0),
                  ti('run/fifo', tarfile.FIFOTYPE, mode=0o600)],
    'whiteouts.tar': [ti('a/gone', data=b'g'), ti('a/.wh.gone'), ti('a/.wh.lower'),
                      ti('b/', DIR), ti('b/.wh..wh..opq'), ti('.wh..wh.plnk')],
    'whiteout-dotdot.tar': [ti('.wh.../../x'), ti('a/.wh...')],
    'dotdot.tar': [ti('/abs/path', data=b'abs'), ti('a/b/../c', data=b'c'),
                   ti('etc/../../y', data=b'y'), ti('../../etc/x', data=b'escape')],
    'symlink-root.tar': [ti('evil', SYM, '/'), ti('evil/etc/passwd', data=b'root::0:0'),
                         ti('up', SYM, '../../..'), ti('up/outside/pwn', data=b'p')],
    'symlink-swap.tar': [ti('sub/', DIR), ti('sub/f', data=b'f'), ti('sub', SYM, '../outside'),
                         ti('sub/pwn', data=b'through the swapped symlink')],
    'hardlink-inside.tar': [ti('s', SYM, '/'), ti('etc/shadow', data=b's'),
                            ti('h', LNK, 's/etc/shadow'), ti('hs', LNK, 's')],
    'hardlink-escape.tar': [ti('h1', LNK, '../../outside-file'), ti('h2', LNK, '/etc/passwd')],
    'devices-gnu.tar': ([ti('dev/null', tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
                         ti('dev/sda', tarfile.BLKTYPE, devmajor=8, devminor=0),
                         ti('L' * 200 + '/' + 'M' * 200, data=b'gnu longname')], tarfile.GNU_FORMAT),
    'replace.tar': [ti('x', data=b'one'), ti('x', DIR), ti('x/y', data=b'y'), ti('x', data=b'2'),
                    ti('.', DIR, mode=0o700), ti('d', SYM, 'x'), ti('d', LNK, 'x')],
}
for name, spec in corpus.items():
    entries, fmt = spec if isinstance(spec, tuple) else (spec, tarfile.PAX_FORMAT)
    open(name, 'wb').write(tar(entries, fmt))
open('basic.tar.gz', 'wb').write(gzip.compress(open('basic.tar', 'rb').read(), mtime=0))
open('symlink-swap.tar.zst', 'wb').write(
    subprocess.run(['zstd', '-q', '-c', 'symlink-swap.tar'], capture_output=True, check=True).stdout)
open('truncated.tar.gz', 'wb').write(open('basic.tar.gz', 'rb').read()[:60])
open('garbage', 'wb').write(bytes((i * 7919) % 251 for i in range(700)))
