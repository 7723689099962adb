/*
 * DriverKit/OSCollections.h — every DriverKit container class in one include.
 */
#ifndef _DRIVERKIT_OSCOLLECTIONS_H
#define _DRIVERKIT_OSCOLLECTIONS_H

#include <DriverKit/OSContainer.h>
#include <DriverKit/OSCollection.h>
#include <DriverKit/OSString.h>
#include <DriverKit/OSNumber.h>
#include <DriverKit/OSBoolean.h>
#include <DriverKit/OSData.h>
#include <DriverKit/OSArray.h>
#include <DriverKit/OSDictionary.h>
#include <DriverKit/OSSet.h>
#include <DriverKit/OSOrderedSet.h>
#include <DriverKit/OSSerialization.h>

#endif /* _DRIVERKIT_OSCOLLECTIONS_H */
