#!/usr/bin/env bash
# Runs `pot agent` in a real desktop panel and saves screenshots of its
# icon and open menu, for a person to look at:
#   .ci/agent-screenshot.sh [OUT_DIR]      (default: ./agent-screenshots)
# It starts Xvfb, a private session bus and xfce4-panel (whose systray
# plugin is a StatusNotifierItem host), runs the agent with one model in a
# fake Ollama store, one job waiting for tonight and one running, clicks
# the icon with xdotool and saves icon.png (the panel), tooltip.png,
# menu.png (the menu open),
# models.png (Local Models) and queue.png (the Queue submenu). It fails if
# the icon never registers or the click opens nothing. Needs: xvfb xfce4-panel xdotool imagemagick dbus.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-agent-screenshots}")
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -o "$work/pot" ./app

# A panel across the top with only the notification area (plugin-1), so
# the icon sits at a known place; this preset also skips the panel's
# first-run dialog.
export XDG_CONFIG_HOME="$work/config" HOME="$work/home"
mkdir -p "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml" "$HOME"
cat > "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray">
      <property name="icon-size" type="uint" value="24"/>
    </property>
  </property>
</channel>
XML

# A model where Ollama keeps them, named by its manifest.
ollama="$work/ollama"
hex=5a0f4e9c1d2b3a4958677685a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f
mkdir -p "$ollama/blobs" "$ollama/manifests/registry.ollama.ai/library/llama3.2"
model=../shared/testdata/stories260K.gguf
cp "$model" "$ollama/blobs/sha256-$hex"
printf '{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":1}]}' "$hex" \
  > "$ollama/manifests/registry.ollama.ai/library/llama3.2/1b"
export OLLAMA_MODELS="$ollama" POT_DATA_DIR="$work/data" POT_CONFIG_DIR="$work/potconfig"

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 800x500x24 -nolisten tcp &
export DISPLAY=$display
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

inner() {
  xfce4-panel --disable-wm-check >"$work/panel.log" 2>&1 &
  for _ in $(seq 100); do
    gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus -m org.freedesktop.DBus.NameHasOwner \
      org.kde.StatusNotifierWatcher 2>/dev/null | grep -q true && break
    sleep 0.1
  done
  "$work/pot" verify "$OLLAMA_MODELS/blobs/sha256-$hex" --ref "$model" --schedule --when tonight >/dev/null
  # A job that runs now and takes a while: a requantized model through the
  # behavioural test on one thread.
  "$work/pot" verify ../shared/testdata/qwen2-tiny-Q4_0.gguf --ref ../shared/testdata/qwen2-tiny-F32.gguf \
    --behaviour --mode audit --threads 1 --schedule >/dev/null
  "$work/pot" agent >"$work/agent.log" 2>&1 &
  local registered=
  for _ in $(seq 100); do
    if gdbus call --session -d org.kde.StatusNotifierWatcher -o /StatusNotifierWatcher \
         -m org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems \
         2>/dev/null | grep -q StatusNotifierItem; then registered=1; break; fi
    sleep 0.1
  done
  if [ -z "$registered" ]; then
    echo "the agent's icon never registered"; cat "$work/agent.log" "$work/panel.log"
    kill $(jobs -p) 2>/dev/null || true
    return 1
  fi
  # Wait for the job's progress to show in the item's title ("12%").
  for _ in $(seq 300); do
    title=$(gdbus call --session -d "$(gdbus call --session -d org.kde.StatusNotifierWatcher -o /StatusNotifierWatcher \
      -m org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems |
      grep -o ':[0-9.]*' | head -1)" -o /StatusNotifierItem -m org.freedesktop.DBus.Properties.Get \
      org.kde.StatusNotifierItem Title 2>/dev/null || true)
    case "$title" in *%*) break;; esac
    sleep 0.1
  done
  echo "item title: $title"
  sleep 1
  import -window root "$out/icon.png"
  # Hovering shows the tooltip.
  xdotool mousemove 16 16
  sleep 2
  import -window root "$out/tooltip.png"
  # The icon is the notification area's only item, at the panel's left.
  xdotool mousemove 400 300
  sleep 0.5
  xdotool mousemove 16 16 click 1
  # Off the icon, so its tooltip does not cover the menu.
  xdotool mousemove 600 400
  sleep 1
  import -window root "$out/menu.png"
  # Keyboard into the submenus: Verify Model…, Local Models, then Queue.
  xdotool key Down Down Right
  sleep 1
  import -window root "$out/models.png"
  xdotool key Left Down Right
  sleep 1
  import -window root "$out/queue.png"
  local diff
  diff=$(compare -metric AE "$out/icon.png" "$out/menu.png" null: 2>&1 || true)
  echo "pixels changed by opening the menu: $diff"
  local status=0
  if [ "${diff%%.*}" -lt 1000 ] 2>/dev/null; then echo "the click opened no menu"; status=1; fi
  # Quit the agent and the panel; nothing may outlive the session.
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  return $status
}
export -f inner
export work out hex model
dbus-run-session -- bash -c inner
echo "screenshots in $out"
