# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs argv under a seccomp filter like systemd's MemoryDenyWriteExecute=yes
(src/shared/seccomp-util.c): mmap with PROT_WRITE|PROT_EXEC, mprotect and
pkey_mprotect with PROT_EXEC, shmat with SHM_EXEC fail with EPERM.
Usage: mdwe.py PROGRAM ARG..."""
import errno
import os
import sys

import seccomp

PROT_WRITE, PROT_EXEC, SHM_EXEC = 2, 4, 0o100000
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
f.add_rule(seccomp.ERRNO(errno.EPERM), "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC))
f.add_rule(seccomp.ERRNO(errno.EPERM), "mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
f.add_rule(seccomp.ERRNO(errno.EPERM), "pkey_mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
f.add_rule(seccomp.ERRNO(errno.EPERM), "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
f.load()
os.execvp(sys.argv[1], sys.argv[1:])
