# configversions.awk: the version fingerprint of a Fabric config block, in POSIX awk (the
# Fabric 2.5/3.x images have mawk, 1.4's and busybox's awk work too).
#
#   od -An -v -tu1 config.block | awk -f configversions.awk
#
# Input: the bytes of a common.Block holding one CONFIG envelope (what `peer channel
# fetch config` writes), as decimal numbers. Output: the config's sequence, then one line
# per config element with its version, the form fabchart records
# (src/channel/update.rs, version_lines):
#
#   sequence 3
#   G /Channel 0
#   V /Channel/Orderer/BatchSize 1
#   P /Channel/Application/Admins 0
#
# Sorted bytewise and hashed (LC_ALL=C sort | sha256sum), the element lines give the
# version digest fabchart writes into each channel's update plan. Fabric marshals maps in
# any order; the walk does not care. Exit status 2, with a message on stderr, when the
# input is not a config block.
#
# Wire format walked (fabric-protos): Block{2: data} BlockData{1: data[0]}
# Envelope{1: payload} Payload{1: header, 2: data} Header{1: channel_header}
# ChannelHeader{1: type (1 = CONFIG)} ConfigEnvelope{1: config} Config{1: sequence,
# 2: channel_group} ConfigGroup{1: version, 2: groups, 3: values, 4: policies} with map
# entries {1: key, 2: value}; ConfigValue and ConfigPolicy{1: version}.

{ for (i = 1; i <= NF; i++) b[n++] = $i + 0 }

function fail(msg) {
  print "configversions.awk: " msg > "/dev/stderr"
  failed = 1
  exit 2
}

# Reads a varint at pos (not beyond end).
function varint(end,   v, m, c) {
  v = 0
  m = 1
  do {
    if (pos >= end) fail("truncated varint at byte " pos)
    c = b[pos++]
    v += (c % 128) * m
    m *= 128
  } while (c >= 128)
  return v
}

# Reads one field at pos: sets FN (field number), WT (wire type), and for length-delimited
# fields LS (payload start) and LE (payload end), leaving pos after the field.
function field(end,   key, len) {
  key = varint(end)
  FN = int(key / 8)
  WT = key % 8
  if (WT == 0) {
    VV = varint(end)
  } else if (WT == 2) {
    len = varint(end)
    LS = pos
    LE = pos + len
    if (LE > end) fail("field " FN " runs past its message")
    pos = LE
  } else if (WT == 1) {
    pos += 8
  } else if (WT == 5) {
    pos += 4
  } else {
    fail("unsupported wire type " WT " at byte " pos)
  }
  if (pos > end) fail("truncated message")
}

# The first length-delimited field `num` in [start, end): sets FS/FE, returns 1 if found.
function find(start, end, num) {
  pos = start
  while (pos < end) {
    field(end)
    if (WT == 2 && FN == num) {
      FS = LS
      FE = LE
      return 1
    }
  }
  return 0
}

# The version (field 1) of a ConfigValue or ConfigPolicy in [start, end).
function version_of(start, end,   v) {
  v = 0
  pos = start
  while (pos < end) {
    field(end)
    if (WT == 0 && FN == 1) v = VV
  }
  return v
}

function text(start, end,   s, i) {
  s = ""
  for (i = start; i < end; i++) s = s sprintf("%c", b[i])
  return s
}

# Prints a ConfigGroup in [start, end) at `path`, and everything under it.
function group(start, end, path, depth,   p, f, es, ee, key, vs, ve, q, v) {
  if (depth > 64) fail("config nested too deeply at " path)
  v = 0
  p = start
  while (p < end) {
    pos = p
    field(end)
    p = pos
    if (WT == 0 && FN == 1) v = VV
    if (WT != 2 || FN < 2 || FN > 4) continue
    f = FN
    es = LS
    ee = LE
    # A map entry: {1: key, 2: value}.
    key = ""
    vs = -1
    q = es
    while (q < ee) {
      pos = q
      field(ee)
      q = pos
      if (WT == 2 && FN == 1) key = text(LS, LE)
      if (WT == 2 && FN == 2) { vs = LS; ve = LE }
    }
    if (key == "") fail("a map entry without a key under " path)
    if (f == 2) {
      if (vs < 0) print "G " path "/" key " 0"
      else group(vs, ve, path "/" key, depth + 1)
    } else {
      print (f == 3 ? "V " : "P ") path "/" key " " (vs < 0 ? 0 : version_of(vs, ve))
    }
  }
  print "G " path " " v
}

END {
  if (failed) exit 2
  if (n == 0) fail("empty input: not a block")
  if (!find(0, n, 2)) fail("no block data")
  if (!find(FS, FE, 1)) fail("the block holds no transaction")
  if (!find(FS, FE, 1)) fail("the envelope has no payload")
  ps = FS; pe = FE
  if (!find(ps, pe, 1)) fail("the payload has no header")
  hs = FS; he = FE
  if (!find(hs, he, 1)) fail("the header has no channel header")
  cs = FS; ce = FE
  type = 0
  pos = cs
  while (pos < ce) { field(ce); if (WT == 0 && FN == 1) type = VV }
  if (type != 1) fail("not a config block (header type " type ")")
  if (!find(ps, pe, 2)) fail("the payload has no data")
  if (!find(FS, FE, 1)) fail("the config envelope holds no config")
  cs = FS; ce = FE
  seq = 0
  gs = -1
  pos = cs
  while (pos < ce) {
    field(ce)
    if (WT == 0 && FN == 1) seq = VV
    if (WT == 2 && FN == 2) { gs = LS; ge = LE }
  }
  if (gs < 0) fail("the config holds no channel group")
  print "sequence " seq
  group(gs, ge, "/Channel", 0)
}
