/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for gw/pri's D-channel input: the input is a sequence
 * of frames, each a length octet and that many octets, fed to a network
 * side and a user side span (Q.921 frames, Q.931 messages inside I-frames).
 * Incoming calls are answered and peer disconnects hung up so that the
 * call paths run too. Nothing may crash, leak per input or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <uv.h>

#include "base/log.h"
#include "gw/pri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int frame_h(const uint8_t *frame, size_t len, void *arg)
{
	(void)frame;
	(void)len;
	(void)arg;
	return 0;
}

static void event_h(const struct gw_pri_event *ev, void *arg)
{
	(void)arg;
	switch (ev->type) {
	case GW_PRI_EV_SETUP:
		if (ev->setup->called.num[0] == '2')
			gw_pri_call_hangup(ev->call, 17);
		else
			gw_pri_call_answer(ev->call);
		break;
	case GW_PRI_EV_DISCONNECT:
		gw_pri_call_hangup(ev->call, ev->cause);
		break;
	default:
		break;
	}
}

static struct gw_pri *mk(uv_loop_t *loop, enum gw_pri_node node, bool e1)
{
	struct gw_pri_conf c;
	struct gw_pri *p = NULL;

	gw_pri_conf_init(&c);
	c.node = node;
	c.e1 = e1;
	c.sw = e1 ? GW_PRI_SW_EUROISDN : GW_PRI_SW_NATIONAL;
	c.overlapdial = true;
	c.service_msgs = !e1;
	if (gw_pri_alloc(&p, loop, &c, frame_h, event_h, NULL) ||
	    gw_pri_start(p))
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uv_loop_t loop;
	static struct gw_pri *net, *cpe;
	static const uint8_t sabme[] = { 0x00, 0x01, 0x7f };
	static const uint8_t sabme_r[] = { 0x02, 0x01, 0x7f };

	if (!net) {
		log_set_level(LOGL_ERR);
		uv_loop_init(&loop);
		net = mk(&loop, GW_PRI_NET, true);
		cpe = mk(&loop, GW_PRI_CPE, false);
	}
	/* Bring both data links to multiple-frame established first */
	gw_pri_recv(net, sabme, sizeof(sabme));
	gw_pri_recv(cpe, sabme_r, sizeof(sabme_r));
	for (size_t i = 0; i < size;) {
		size_t len = data[i++];

		if (len > size - i)
			len = size - i;
		gw_pri_recv(net, data + i, len);
		gw_pri_recv(cpe, data + i, len);
		i += len;
	}
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
