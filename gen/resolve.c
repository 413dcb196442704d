/* SPDX-License-Identifier: MIT */
/* resolve: stub */
