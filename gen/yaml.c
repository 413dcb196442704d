/* SPDX-License-Identifier: MIT */
/* yaml: stub */
