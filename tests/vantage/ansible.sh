#!/usr/bin/env bash
# ansible.sh NRB [syntax]: the example Ansible playbook (examples/ansible/nrb-merge.yml).
#   syntax: `ansible-playbook --syntax-check` with both example inventories (no lab, no root).
#   default: run it for real on the lab's two clients (inventory.lab.yml: local connection,
#   nrb inside each client's namespace, checked before any probe) on path_filter with
#   client2; the merged ticket it writes must be PATH_FIREWALL, path-specific.
# Exit 0 pass, 1 fail, 77 skipped (no ansible-playbook; for the lab run also not root / no
# netns).  ansible-core is optional: tests/install-deps.sh --ansible installs it.
set -euo pipefail
nrb=$(realpath "$1")
mode=${2:-lab}
top=$(cd "$(dirname "$0")/../.." && pwd)
play=$top/examples/ansible/nrb-merge.yml
command -v ansible-playbook >/dev/null 2>&1 || { echo "SKIP: ansible-playbook not installed (tests/install-deps.sh --ansible)"; exit 77; }
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP=${TMPDIR:-/tmp}/nrb-ansible-$$ ANSIBLE_HOME=${TMPDIR:-/tmp}/nrb-ansible-$$
if [ "$mode" = syntax ]; then
	trap 'rm -rf "$ANSIBLE_HOME"' EXIT
	for inv in inventory.example.ini inventory.lab.yml; do
		ansible-playbook --syntax-check -i "$top/examples/ansible/$inv" "$play"
	done
	exit 0
fi

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
"$lab" up path_filter --with-client2 >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "FAIL: lab up path_filter --with-client2"; exit 1; }
set +e
ansible-playbook -i "$top/examples/ansible/inventory.lab.yml" "$play" \
	-e nrb_target=203.0.113.10 -e nrb_port=443 -e "nrb_ns_prefix=$LAB_PREFIX" \
	-e "nrb_bin=$nrb" -e "nrb_local_bin=$nrb" -e "nrb_report_dir=$tmp/reports" \
	-e '{"nrb_params": ["rounds=3"]}' >"$tmp/ansible.log" 2>&1
rc=$?
set -e
rm -rf "$ANSIBLE_HOME"
[ $rc = 0 ] || { cat "$tmp/ansible.log"; echo "FAIL: ansible-playbook exited $rc"; exit 1; }
tail -n 4 "$tmp/ansible.log"
m=$tmp/reports/MERGED.json
for f in lab-client.json lab-client2.json lab-client.pcap MERGED.md MERGED.json; do
	if [ -s "$tmp/reports/$f" ]; then ok "fetched or written: $f"; else bad "missing: $f"; fi
done
expect_eq "lab-client ran in its namespace" "$(jget "$tmp/reports/lab-client.json" 'd["vantage"]["addresses"][0]')" "$CLIENT4"
expect_eq "lab-client2 ran in its namespace" "$(jget "$tmp/reports/lab-client2.json" 'd["vantage"]["addresses"][0]')" "$CLIENT2_4"
expect_eq "merged verdict" "$(jget "$m" 'd["verdict"]["class"]')" PATH_FIREWALL
expect_eq "merged path_specific" "$(jget "$m" 'd["verdict"].get("path_specific")')" true
expect_eq "labels" "$(jget "$m" '" ".join(v["label"] + "=" + v["class"] for v in d["vantages"])')" "lab-client=PATH_FIREWALL lab-client2=OK"
[ "$failures" = 0 ] || { echo "# ansible: $failures check(s) failed"; exit 1; }
echo "# ansible playbook on the lab: all checks passed"
