# Sourced by the scripts that change the machine. as_root sets the array AS_ROOT to what runs a command as root:
# nothing when this is root, sudo when it asks no password; it fails when neither can.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    AS_ROOT=(sudo)
  else
    return 1
  fi
}
