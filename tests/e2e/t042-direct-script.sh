#!/bin/sh
# SPDX-License-Identifier: MIT
# t042-direct-script: a build script that is one simple command runs as its
# program directly, with no /bin/sh in between, and nothing else tells the
# difference: the program sees the environment sh would give it, a failure
# is reported the same way, and what it cannot start (a program that is not
# there, a script without #!) goes to /bin/sh as before
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/repo
B=$T/build
mkrepo "$R"

# recipe NAME BUILD-LINE: a package whose build script is that one line
recipe() {
	mkdir -p "$R/$1/files"
	printf '#!/bin/sh\n' >"$R/$1/files/keep"
	write "$R/$1/package.yaml" <<EOF
name: $1
version: "1.0"
kind: library
sources:
  - path: files/
build: |
  $2
EOF
}

# the program's parent is pkgtool itself, not a shell
recipe parent "sh -c 'mkdir -p \"\$0\" && cat /proc/\$PPID/comm >\"\$0/parent\"' \"\$PKG_DESTDIR\$PKG_PREFIX/share\""
# the same environment as through sh (a comment makes this one need sh)
recipe envdirect 'env'
recipe envshell 'env # through /bin/sh'
# an executable without #! in the source directory: sh runs it as a script
printf 'mkdir -p "$PKG_DESTDIR$PKG_PREFIX/share"\necho ran >"$PKG_DESTDIR$PKG_PREFIX/share/noshebang"\n' \
	>"$R/envshell/files/run"
chmod +x "$R/envshell/files/run"
recipe noshebang './run'
cp "$R/envshell/files/run" "$R/noshebang/files/run"

pkggen -R "$R" -B "$B" parent envdirect envshell noshebang >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc):
$out"
[ "$(cat "$B/store/$(pkgid "$B" parent)/share/parent")" = pkgtool ] ||
	fail "the build script's program ran under $(cat "$B/store/$(pkgid "$B" parent)/share/parent"), not pkgtool"
[ "$(cat "$B/store/$(pkgid "$B" noshebang)/share/noshebang")" = ran ] ||
	fail "the script without #! did not run"

# each log's environment, its package's name and id made alike
envof() {
	_id=$(pkgid "$B" "$1")
	sed -e "s/$_id/ID/g" -e "s/$1/NAME/g" "$B/log/$_id.build.log" | sort
}
envof envdirect >direct.env
envof envshell >shell.env
grep -q '^PWD=' direct.env || fail "no PWD in the direct program's environment"
diff -u shell.env direct.env >env.diff || fail "the environments differ:
$(cat env.diff)"

# a failing program: its exit status and output, as before
recipe fails 'ls /no/such/dir'
pkggen -R "$R" -B "$B" fails >/dev/null
expect_fail 1 run_ninja "$B"
assert_contains "$out" "exit 2"
assert_contains "$out" "/no/such/dir"
# a program that is not there: sh says so, exit 127
recipe missing 'no-such-program-t042 --flag'
pkggen -R "$R" -B "$B" missing >/dev/null
expect_fail 1 run_ninja "$B"
assert_contains "$out" "exit 127"
assert_contains "$out" "no-such-program-t042: not found"
