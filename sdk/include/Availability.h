/*
 * Availability.h — Darwin's availability header, which driver .iig and .cpp files include.
 * netdext builds every API for every version; see DriverKit/DriverKit_availability.h.
 */
#ifndef _NETDEXT_AVAILABILITY_H
#define _NETDEXT_AVAILABILITY_H
#include <DriverKit/DriverKit_availability.h>
#endif
