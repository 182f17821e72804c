-- nrb.i18n: messages the rules put in tickets, in English and Simplified Chinese.
--
-- A message is an id and named arguments; `text(id, args)` returns {en = "...", zh = "..."}.
-- Templates use {name} placeholders.  The report keeps English in its contract fields
-- (verdict.summary, verdict.reasons, suggestions) and the other languages beside them, so
-- `--lang zh` renders the same evidence in Chinese.
local M = {}

M.catalog = {
  dns_failure = {
    en = "{host} does not resolve from here ({error})",
    zh = "从本机无法解析 {host}（{error}）",
  },
  no_route = {
    en = "this host has no usable route to {address}: {type} ({error})",
    zh = "本机没有到 {address} 的可用路由：{type}（{error}）",
  },
  local_fw = {
    en = "this host's firewall would {decision} the flow: {rule}",
    zh = "本机防火墙会{decision_zh}该流量：{rule}",
  },
  local_fw_hit = {
    en = "its counter rose by {packets} packet(s) while the port probes ran ({ref}): the kernel applied it to them",
    zh = "端口探测期间该规则的计数增加了 {packets} 个报文（{ref}）：内核确实对这些报文应用了它",
  },
  local_fw_no_hit = {
    en = "but its counter did not rise while the port probes ran ({ref}): the evaluation is not confirmed by the kernel's counters",
    zh = "但端口探测期间该规则的计数没有增加（{ref}）：内核计数未能证实这一判断",
  },
  local_fw_no_counter = {
    en = "the rule has no counter (nft rules count only with a `counter` statement), so the kernel's counters cannot confirm it ({ref})",
    zh = "该规则没有计数器（nft 规则只有带 `counter` 语句才计数），因此无法用内核计数证实（{ref}）",
  },
  local_refusal = {
    en = "the kernel refused to send the probes of {what} (EPERM): a firewall rule in this host's output path dropped them",
    zh = "内核拒绝发送 {what} 的探测报文（EPERM）：本机出方向的防火墙规则丢弃了它们",
  },
  -- the line under the per-hop statistics: the pace the rounds went at, and why
  pace_fast = {
    en = "Rounds every {interval} ms: every hop answered every trace probe it was sent, so no hop limited its ICMP answers at that rate.",
    zh = "每 {interval} 毫秒一轮：路由跟踪中每一跳都回应了发给它的全部探测，说明在该速率下没有哪一跳限制 ICMP 回应。",
  },
  pace_slowed = {
    en = " From round {round} every {slow} ms: hop {hop} missed a round a farther hop answered (an ICMP rate limit).",
    zh = "从第 {round} 轮起每 {slow} 毫秒一轮：第 {hop} 跳漏答了更远一跳已回应的一轮（ICMP 限速）。",
  },
  pace_tcp_stopped = {
    en = " The TCP rounds stopped after round {round}, so as not to double the rate at that hop.",
    zh = "TCP 轮次在第 {round} 轮后停止，以免该跳收到的速率翻倍。",
  },
  pace_slow = {
    en = "Rounds every {interval} ms (mtr's pace): hop {hop} answered {received} of {sent} {proto} trace probes while farther hops answered, the sign of an ICMP rate limit (or loss) there.",
    zh = "每 {interval} 毫秒一轮（mtr 的速率）：第 {hop} 跳只回应了 {received}/{sent} 个 {proto} 跟踪探测，而更远的跳都有回应，说明该跳对 ICMP 限速（或有丢包）。",
  },
  pace_tcp_left_out = {
    en = " No TCP rounds alongside: they would double the rate at that hop; the TCP trace above stands for them.",
    zh = "未同时进行 TCP 轮次：那会使该跳收到的速率翻倍；上面的 TCP 路由跟踪可作参考。",
  },
  pace_plain = {
    en = "Rounds every {interval} ms (mtr's pace).",
    zh = "每 {interval} 毫秒一轮（mtr 的速率）。",
  },
  local_fw_unnamed = {
    en = "this host's firewall drops the flow on its way out; reading its rulesets did not name the rule (see the firewall step)",
    zh = "本机防火墙在出方向丢弃了该流量；读取规则集未能确定是哪条规则（见防火墙步骤）",
  },
  local_fw_manager = {
    en = "the rule belongs to {manager}: change it there, not with raw iptables/nft",
    zh = "该规则由 {manager} 管理：请在 {manager} 中修改，而不是直接改 iptables/nft",
  },
  service_ok = {
    en = "{proto}/{port} on {address} answers ({how})",
    zh = "{address} 的 {proto}/{port} 有响应（{how}）",
  },
  ok_summary = {
    en = "{proto}/{port} on {address} is reachable from here; no fault reproduced",
    zh = "从本机可以访问 {address} 的 {proto}/{port}；未复现故障",
  },
  latency_note = {
    en = "round-trip time is high ({rtt} ms average) but nothing is lost",
    zh = "往返时延较高（平均 {rtt} ms），但没有丢包",
  },
  local_loss_note = {
    en = "hop {ttl} ({address}) shows {loss}% loss that does not continue to later hops: that router limits its ICMP replies; it is not a fault",
    zh = "第 {ttl} 跳（{address}）有 {loss}% 丢包但后续各跳没有：该路由器对 ICMP 回复限速，并非故障",
  },
  silent_hop_note = {
    en = "hop {ttl} never answers, but later hops do: that router does not send TTL-exceeded; it is not a fault",
    zh = "第 {ttl} 跳始终无响应，但后续各跳有响应：该路由器不发送 TTL 超时报文，并非故障",
  },
  icmp_filtered = {
    en = "ICMP echo to {address} gets no reply ({loss}% loss) while {proto}/{port} answers: ICMP is filtered, the service is reachable",
    zh = "到 {address} 的 ICMP echo 无回复（丢包 {loss}%），而 {proto}/{port} 有响应：ICMP 被过滤，服务本身可达",
  },
  icmp_filtered_summary = {
    en = "{address} does not answer ping, but {proto}/{port} works: ICMP is filtered",
    zh = "{address} 不响应 ping，但 {proto}/{port} 正常：ICMP 被过滤",
  },
  pmtu_blackhole = {
    en = "packets of {lost} bytes with DF set vanish with no 'fragmentation needed' while {ok} bytes pass",
    zh = "设置 DF 的 {lost} 字节报文消失且没有“需要分片”通知，而 {ok} 字节的报文可以通过",
  },
  pmtu_located = {
    en = "hop {ttl} ({address}) still answers {lost}-byte probes with 'time exceeded'; no hop after it does: the narrow link starts behind hop {ttl}",
    zh = "第 {ttl} 跳（{address}）仍以“超时”响应 {lost} 字节的探测包，其后没有任何一跳响应：窄链路位于第 {ttl} 跳之后",
  },
  pmtu_located_next = {
    en = "hop {ttl} ({address}) still answers {lost}-byte probes with 'time exceeded'; hop {next} ({next_address}) answers only small ones: the narrow link is between them",
    zh = "第 {ttl} 跳（{address}）仍以“超时”响应 {lost} 字节的探测包；第 {next} 跳（{next_address}）只响应小包：窄链路位于两者之间",
  },
  pmtu_not_located = {
    en = "no hop answered {lost}-byte probes with 'time exceeded': the break is at the first hop or the hops are silent",
    zh = "没有任何一跳以“超时”响应 {lost} 字节的探测包：断点在第一跳，或各跳均不响应",
  },
  pmtu_summary = {
    en = "path MTU blackhole towards {address}: large packets are dropped silently (largest that passes: {ok} bytes)",
    zh = "到 {address} 的路径存在 PMTU 黑洞：大包被静默丢弃（可通过的最大报文 {ok} 字节）",
  },
  persistent_loss = {
    en = "loss starts at hop {ttl} ({address}, {loss}%) and continues to the destination ({dest_loss}%)",
    zh = "从第 {ttl} 跳（{address}，{loss}%）开始丢包并一直持续到目标（{dest_loss}%）",
  },
  persistent_loss_summary = {
    en = "packet loss from hop {ttl} ({address}) onwards reaches {address_dst}: a routing quality problem at or after that hop",
    zh = "从第 {ttl} 跳（{address}）开始的丢包一直影响到 {address_dst}：该跳及之后存在路由质量问题",
  },
  rst_genuine = {
    en = "the reset comes from {address} with TTL {ttl}, like its genuine packets (TTL {genuine}): the server itself refuses",
    zh = "复位报文来自 {address}，TTL {ttl}，与该主机的正常报文（TTL {genuine}）一致：是服务器本身拒绝",
  },
  rst_unchecked = {
    en = "no genuine packet from {address} to compare the reset's TTL with: a forged reset cannot be ruled out",
    zh = "没有来自 {address} 的正常报文可用于比较复位报文的 TTL：无法排除伪造复位",
  },
  service_down_summary = {
    en = "{address} answers {proto}/{port} with a reset: nothing listens on the port",
    zh = "{address} 对 {proto}/{port} 回复复位（RST）：该端口没有服务在监听",
  },
  forged_rst = {
    en = "the reset claiming to be from {address} arrives with TTL {ttl} (about {rst_hops} hops away) while {address}'s genuine packets arrive with TTL {genuine} ({genuine_hops} hops): a device about {hop} hops from here injected it",
    zh = "声称来自 {address} 的复位报文 TTL 为 {ttl}（约 {rst_hops} 跳），而 {address} 的正常报文 TTL 为 {genuine}（{genuine_hops} 跳）：距本机约 {hop} 跳的设备伪造了该复位",
  },
  request_reset = {
    en = "the handshake with {address} port {port} completes, but the request '{sent}' is answered with a reset",
    zh = "与 {address} 端口 {port} 的握手成功，但请求“{sent}”收到了复位报文",
  },
  request_reset_unknown = {
    en = "no capture saw the reset, so its sender is not proved; run with capture privileges (or the capture-handshake runbook) to tell the server from a device in the path",
    zh = "没有抓包看到该复位报文，无法证明其发送者；请以抓包权限运行（或使用 capture-handshake 运行手册）以区分服务器与路径中的设备",
  },
  request_reset_summary = {
    en = "requests to {address} port {port} are reset after the handshake; the sender of the reset is not yet proved",
    zh = "到 {address} 端口 {port} 的请求在握手后被复位；复位报文的发送者尚未查明",
  },
  request_reset_by_server_summary = {
    en = "{address} itself resets requests on port {port} after the handshake: nothing in the network, look at the application",
    zh = "{address} 本身在握手后复位端口 {port} 上的请求：网络无异常，请检查应用程序",
  },
  server_fw_hit = {
    en = "while the client reproduced, {kind} {ref} ({table}/{chain}, {verdict}) matched {packets} packet(s): {text}",
    zh = "客户端复现期间，{kind_zh} {ref}（{table}/{chain}，{verdict}）匹配了 {packets} 个报文：{text}",
  },
  server_fw_no_hits = {
    en = "no drop or reject rule of this host's firewall counted a packet while the client reproduced",
    zh = "客户端复现期间，本机防火墙没有任何丢弃或拒绝规则计数增加",
  },
  forged_rst_summary = {
    en = "a device about {hop} hops away{at} forges TCP resets for {address} port {port}",
    zh = "距本机约 {hop} 跳的设备{at}冒充 {address} 伪造了端口 {port} 的 TCP 复位",
  },
  capture_injected = {
    en = "capture: {text}",
    zh = "抓包：{text}",
  },
  icmp_from_target = {
    en = "{address} itself answers {proto}/{port} with ICMP {kind}: its firewall rejects the port",
    zh = "{address} 本身对 {proto}/{port} 回复 ICMP {kind}：其防火墙拒绝了该端口",
  },
  server_fw_reject_summary = {
    en = "the server's firewall rejects {proto}/{port} (ICMP {kind} from {address})",
    zh = "服务器防火墙拒绝 {proto}/{port}（{address} 回复 ICMP {kind}）",
  },
  icmp_admin_router = {
    en = "hop {ttl} ({from}) answers {proto}/{port} with ICMP {kind}: a filter on that device rejects the port",
    zh = "第 {ttl} 跳（{from}）对 {proto}/{port} 回复 ICMP {kind}：该设备上的过滤规则拒绝了该端口",
  },
  path_fw_reject_summary = {
    en = "a firewall at hop {ttl} ({from}) rejects {proto}/{port}",
    zh = "第 {ttl} 跳（{from}）的防火墙拒绝 {proto}/{port}",
  },
  icmp_unreach_router = {
    en = "hop {ttl} ({from}) answers with ICMP {kind}: that router has no route onwards",
    zh = "第 {ttl} 跳（{from}）回复 ICMP {kind}：该路由器没有继续转发的路由",
  },
  routing_unreach_summary = {
    en = "the path breaks at hop {ttl} ({from}): ICMP {kind}",
    zh = "路径在第 {ttl} 跳（{from}）中断：ICMP {kind}",
  },
  all_stop = {
    en = "{protos} traces all stop after hop {ttl} ({address}); nothing answers beyond it",
    zh = "{protos} 路由跟踪都在第 {ttl} 跳（{address}）之后中断；之后没有任何响应",
  },
  routing_summary = {
    en = "the path to {address_dst} breaks after hop {ttl} ({address}) for every protocol",
    zh = "到 {address_dst} 的路径在第 {ttl} 跳（{address}）之后对所有协议都中断",
  },
  port_trace_stops = {
    en = "the {proto}/{port} trace stops after hop {ttl} ({address}) while {others}",
    zh = "{proto}/{port} 路由跟踪在第 {ttl} 跳（{address}）之后中断，而{others_zh}",
  },
  path_fw_summary = {
    en = "a device at hop {ttl} ({address}) drops {proto}/{port} while other traffic passes",
    zh = "第 {ttl} 跳（{address}）的设备丢弃 {proto}/{port}，其他流量正常通过",
  },
  dest_silent = {
    en = "every router up to hop {last} answers the {proto}/{port} trace; only the destination (hop {dest}) is silent, while {others}",
    zh = "{proto}/{port} 路由跟踪中直到第 {last} 跳的路由器都有响应，只有目标（第 {dest} 跳）无响应，而{others_zh}",
  },
  dest_silent_caveat = {
    en = "a filter on the last router (hop {last}) would look the same from here; run the server-side runbook to confirm",
    zh = "从本机看，最后一跳路由器（第 {last} 跳）上的过滤表现相同；请在服务器端运行 server-side 运行手册确认",
  },
  server_fw_summary = {
    en = "{proto}/{port} packets reach {address}'s network and vanish at the server: its firewall drops them",
    zh = "{proto}/{port} 报文到达 {address} 所在网络后在服务器处消失：服务器防火墙丢弃了这些报文",
  },
  port_silent_no_trace = {
    en = "{proto}/{port} gets no answer while {others}; no trace to the port was possible, so where the packets stop is unknown",
    zh = "{proto}/{port} 无响应，而{others_zh}；无法对该端口做路由跟踪，因此不知道报文在哪里被丢弃",
  },
  nothing_answers = {
    en = "nothing answers from {address}: not ping, not {proto}/{port}",
    zh = "{address} 没有任何响应：ping 和 {proto}/{port} 都没有",
  },
  udp_port_unreachable = {
    en = "{address} answers UDP {port} with ICMP port unreachable: nothing listens there",
    zh = "{address} 对 UDP {port} 回复 ICMP 端口不可达：该端口没有服务在监听",
  },
  private_hop = {
    en = "{address} is a private address: the device is inside your own network or data centre, not at the carrier",
    zh = "{address} 是私有地址：该设备位于您自己的网络或机房内，而不是运营商处",
  },
  public_hop = {
    en = "{address} is a public address outside this network: the device belongs to a carrier or the server's provider",
    zh = "{address} 是本网络之外的公网地址：该设备属于运营商或服务器所在的服务商",
  },
  unavailable = {
    en = "some probes could not run ({what}): confidence lowered; run as root (or with CAP_NET_RAW and CAP_NET_ADMIN) for the full procedure",
    zh = "部分探测无法运行（{what}）：可信度已降低；请以 root（或具备 CAP_NET_RAW 与 CAP_NET_ADMIN）运行以完成全部步骤",
  },
  server_not_listening = {
    en = "nothing listens on {proto} port {port} on this host",
    zh = "本机 {proto} 端口 {port} 上没有服务在监听",
  },
  server_listening = {
    en = "{n} socket(s) listen on {proto} port {port} ({addresses})",
    zh = "{proto} 端口 {port} 上有 {n} 个套接字在监听（{addresses}）",
  },
  server_fw = {
    en = "this host's firewall would {decision} {proto}/{port} from {peer} ({direction}): {rule}",
    zh = "本机防火墙会{decision_zh}来自 {peer} 的 {proto}/{port}（{direction}）：{rule}",
  },
  server_ok_summary = {
    en = "nothing on this host stops {proto}/{port} from {peer}: it listens and its firewall accepts",
    zh = "本机没有阻止来自 {peer} 的 {proto}/{port}：服务在监听且防火墙放行",
  },
  reverse_path = {
    en = "the reverse path to {peer}: {how}",
    zh = "到 {peer} 的回程路径：{how}",
  },
  server_no_capture = {
    en = "without a capture this run cannot say whether the client's packets arrived; run the client's standard runbook at the same time and merge the reports",
    zh = "没有抓包，本次运行无法判断客户端的报文是否到达；请同时在客户端运行 standard 运行手册并合并报告",
  },
  server_capture_syns = {
    en = "the capture on {interface} ({window} s) saw {syns} SYN(s) from {peer} to port {port} ({conns} connection attempt(s)); what left in reply: {answered_text}",
    zh = "在 {interface} 上的抓包（{window} 秒）看到 {syns} 个来自 {peer} 到端口 {port} 的 SYN（{conns} 次连接尝试）；本机的回应：{answered_text_zh}",
  },
  server_fw_says = {
    en = "this host's firewall, as read, says {decision} for the flow ({rule}): the drop is elsewhere on the host (a rule not read, conntrack, rp_filter, the application's own filter) — check the counters",
    zh = "按读取到的规则，本机防火墙对该流的决定为 {decision}（{rule}）：丢弃发生在本机其他环节（未读取到的规则、conntrack、rp_filter 或应用自身的过滤）——请检查计数器",
  },
  server_capture_none = {
    en = "the capture on {interface} ({window} s) saw no SYN from {peer} to port {port}: none of the client's connection attempts during the window reached this host",
    zh = "在 {interface} 上的抓包（{window} 秒）没有看到来自 {peer} 到端口 {port} 的 SYN：窗口期内客户端的连接尝试都没有到达本机",
  },
  server_capture_none_caveat = {
    en = "if the client reproduced within the window, its packets are stopped before this host (a router or filter on the way); merge with the client's report to name the hop",
    zh = "若客户端在窗口期内进行了复现，其报文在到达本机之前即被拦截（途中的路由器或过滤设备）；与客户端报告合并可定位到具体跳",
  },
  server_capture_failed = {
    en = "no capture ({error}): this run cannot say whether the client's SYNs arrived; run it as root or with CAP_NET_RAW",
    zh = "未能抓包（{error}）：本次运行无法判断客户端的 SYN 是否到达；请以 root 或具备 CAP_NET_RAW 运行",
  },
  server_capture_cut = {
    en = "the capture ran {ran} s of the {window} s window ({why}): a SYN sent later was not watched",
    zh = "抓包只运行了 {ran} 秒（窗口 {window} 秒，原因：{why}）：之后发送的 SYN 未被观察到",
  },
  server_syn_unanswered_summary = {
    en = "the client's SYNs reach this host and nothing answers them: {syns} SYN(s) from {peer} to {proto}/{port}, no SYN-ACK, RST or ICMP left",
    zh = "客户端的 SYN 到达本机但没有任何回应：{syns} 个来自 {peer} 到 {proto}/{port} 的 SYN，未发出 SYN-ACK、RST 或 ICMP",
  },
  server_arrived_none_summary = {
    en = "nothing on this host stops {proto}/{port} from {peer}, but none of it arrived: no SYN in the {window} s capture",
    zh = "本机没有阻止来自 {peer} 的 {proto}/{port}，但报文未到达：{window} 秒的抓包中没有 SYN",
  },
  server_answered_summary = {
    en = "the client's SYNs arrive and this host answers them ({answered_text}): {proto}/{port} from {peer} works up to this host",
    zh = "客户端的 SYN 已到达且本机已回应（{answered_text_zh}）：来自 {peer} 的 {proto}/{port} 在本机这一端正常",
  },
  degraded = {
    en = "some probes ran degraded ({what}): confidence lowered",
    zh = "部分探测以降级方式运行（{what}）：可信度已降低",
  },
  fw_uncertain = {
    en = "the local firewall check was inconclusive: {notes}",
    zh = "本机防火墙检查无法得出结论：{notes}",
  },
}

M.suggestions = {
  DNS_FAILURE = {
    { en = "Check the name's DNS records (dig +trace) and this host's resolver configuration.",
      zh = "检查该域名的 DNS 记录（dig +trace）以及本机的解析器配置。" },
  },
  LOCAL_ROUTE = {
    { en = "Fix this host's routing table (default gateway, the route to the target's prefix), then rerun.",
      zh = "修复本机路由表（默认网关、到目标网段的路由）后重新测试。" },
  },
  LOCAL_FIREWALL = {
    { en = "Change or remove the named rule on this host (with the tool that manages it), then rerun.",
      zh = "在本机修改或删除上述规则（使用管理该规则的工具），然后重新测试。" },
  },
  ROUTING = {
    { en = "Report to the upstream carrier or data centre with this ticket: the traces, per-hop statistics and time window.",
      zh = "将本工单（路由跟踪、逐跳统计和时间窗口）提交给上游运营商或机房，请求路由/BGP 工程处理。" },
    { en = "Meanwhile, route around the fault: CDN, reverse proxy, or another egress or carrier.",
      zh = "在修复前可临时绕行：使用 CDN、反向代理或更换出口/运营商。" },
  },
  PATH_FIREWALL = {
    { en = "Ask the owner of the named hop (carrier, data centre, cloud security group/ACL) to check filters for this protocol and port.",
      zh = "请该跳设备的所有者（运营商、机房、云安全组/ACL）检查针对该协议和端口的过滤策略。" },
    { en = "Compare from another network or region to confirm the filter is on this path.",
      zh = "从其他网络或地区对比测试，确认过滤位于这条路径上。" },
  },
  FORGED_RST = {
    { en = "Report the injecting device to the carrier with the capture and the TTL comparison; consider TLS on another port or another egress.",
      zh = "将抓包和 TTL 对比提交给运营商，报告伪造复位的设备；可考虑更换端口/出口。" },
  },
  SERVER_FIREWALL = {
    { en = "Check the server's firewall (iptables/nft, ufw, firewalld), cloud security group and fail2ban for this source address and port.",
      zh = "检查服务器防火墙（iptables/nft、ufw、firewalld）、云安全组和 fail2ban 对该源地址和端口的策略。" },
    { en = "Whitelist test: allow this source temporarily on the server and retry.",
      zh = "白名单测试：在服务器上临时放行该源地址后重试。" },
  },
  SERVICE_DOWN = {
    { en = "Check that the service runs and listens on the port on the server (ss -ltnp).",
      zh = "在服务器上确认服务正在运行并监听该端口（ss -ltnp）。" },
  },
  PMTU_BLACKHOLE = {
    { en = "Clamp the TCP MSS on the router or server (e.g. MSS 1360), or lower the interface MTU; make sure ICMP 'fragmentation needed' is not filtered.",
      zh = "在路由器或服务器上设置 TCP MSS 钳制（如 MSS 1360）或调低网卡 MTU；确保 ICMP“需要分片”报文未被过滤。" },
  },
  ICMP_FILTERED = {
    { en = "No action needed for the service; use TCP-based checks for monitoring this host.",
      zh = "服务本身无需处理；监控该主机请使用基于 TCP 的检测。" },
  },
  SERVER_SIDE_OK = {
    { en = "Merge this report with the client's (nrb merge client.json server.json) to see where the packets stop.",
      zh = "将本报告与客户端报告合并（nrb merge client.json server.json），查看报文在何处中断。" },
  },
  OK = {
    { en = "If users still see failures, run from their network (another region or carrier) and merge the reports.",
      zh = "若用户仍然访问失败，请在其所在网络（其他地区或运营商）运行并合并报告。" },
  },
}

-- After a fix: the regression checklist (seed step 13).
M.regression = {
  en = "After the fix: rerun this runbook from the same vantage point and compare (nrb diff BEFORE.json AFTER.json).",
  zh = "修复后：在同一测试点重新运行本运行手册并对比（nrb diff BEFORE.json AFTER.json）。",
}

local function fill(tpl, args)
  return (tpl:gsub("{([%w_]+)}", function(k)
    local v = args[k]
    if v == nil then return "?" end
    if math.type(v) == "float" then
      return (string.format("%.1f", v):gsub("%.0$", ""))
    end
    return tostring(v)
  end))
end

-- text(id, args) -> {en = ..., zh = ...}
function M.text(id, args)
  local m = M.catalog[id]
  if not m then error("i18n: no message '" .. tostring(id) .. "'", 2) end
  return { en = fill(m.en, args or {}), zh = fill(m.zh, args or {}) }
end

return M
