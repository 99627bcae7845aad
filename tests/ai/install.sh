# install.sh: the real agent frameworks, from the npm registry, into
# build/npm (sourced by tests/integration/ai_discovery.sh and tests/demo.sh
# from the top of the tree; sets npmdir).  Versions are pinned in
# tests/ai/package.json; a second run with the same file does nothing.
command -v node >/dev/null && command -v npm >/dev/null ||
	{ echo "node/npm missing (make deps installs them)"; exit 1; }
npmdir=$(pwd)/build/npm
mkdir -p "$npmdir"
if ! cmp -s tests/ai/package.json "$npmdir/package.json" ||
   [ ! -d "$npmdir/node_modules/@modelcontextprotocol/server-filesystem" ]; then
	echo "== npm install (tests/ai/package.json) into build/npm"
	cp tests/ai/package.json "$npmdir/package.json"
	(cd "$npmdir" && npm install --no-audit --no-fund --loglevel=error)
fi
cp tests/ai/*.mjs "$npmdir/"
