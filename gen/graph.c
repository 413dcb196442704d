/* SPDX-License-Identifier: MIT */
/* graph: stub */
