/*
 * net/bpf.h — the Berkeley Packet Filter constants a DriverKit network driver uses, as Darwin
 * spells them: the data-link types that IOUserNetworkEthernet::bpfAttach and bpfTap take
 * (DLT_EN10MB for Ethernet) and the tap modes bpfTap reports.
 *
 * netdext: Linux has no <net/bpf.h> (its BPF is not this interface), so the SDK supplies one.
 * Every interface is a TAP that tcpdump captures on, so the bpf* calls do nothing here (see
 * docs/api-coverage.md); the values are Darwin's, so drivers that compare against them behave as
 * on macOS.
 */
#ifndef _NET_BPF_H_
#define _NET_BPF_H_

#include <stdint.h>

/* Data-link types (the DLT_* values libpcap and Darwin share). */
#define DLT_NULL 0 /* no link-layer encapsulation */
#define DLT_EN10MB 1 /* Ethernet (10Mb, 100Mb, 1000Mb, and up) */
#define DLT_EN3MB 2 /* Experimental Ethernet (3Mb) */
#define DLT_AX25 3 /* Amateur Radio AX.25 */
#define DLT_PRONET 4 /* Proteon ProNET Token Ring */
#define DLT_CHAOS 5 /* Chaos */
#define DLT_IEEE802 6 /* IEEE 802 Networks */
#define DLT_ARCNET 7 /* ARCNET */
#define DLT_SLIP 8 /* Serial Line IP */
#define DLT_PPP 9 /* Point-to-point Protocol */
#define DLT_FDDI 10 /* FDDI */
#define DLT_ATM_RFC1483 11 /* LLC/SNAP encapsulated atm */
#define DLT_RAW 12 /* raw IP */
#define DLT_SLIP_BSDOS 15 /* BSD/OS Serial Line IP */
#define DLT_PPP_BSDOS 16 /* BSD/OS Point-to-point Protocol */
#define DLT_PPP_SERIAL 50 /* PPP over serial with HDLC encapsulation */
#define DLT_PPP_ETHER 51 /* PPP over Ethernet */
#define DLT_IEEE802_11 105 /* IEEE 802.11 wireless */
#define DLT_LOOP 108 /* OpenBSD loopback */
#define DLT_IEEE802_11_RADIO 127 /* 802.11 plus radiotap header */
#define DLT_APPLE_IP_OVER_IEEE1394 138 /* Apple IP-over-IEEE 1394 */
#define DLT_USER0 147 /* reserved for private use, through DLT_USER15 (162) */
#define DLT_IEEE802_11_RADIO_AVS 163 /* 802.11 plus AVS header */

/* Tap modes (Darwin's kernel values): which directions a tap listener wants. */
enum {
    BPF_MODE_DISABLED = 0,
    BPF_MODE_INPUT = 1,
    BPF_MODE_OUTPUT = 2,
    BPF_MODE_INPUT_OUTPUT = 3,
};
typedef uint32_t bpf_tap_mode;

#endif /* _NET_BPF_H_ */
