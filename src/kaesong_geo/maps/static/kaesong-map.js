/*
 * kaesong-geo map controls (part of kaesong-geo, MIT licence).
 *
 * KaesongMap.init(map, config, baseLayers) builds, on a Leaflet map made by Folium:
 *   - one footprint layer per epoch (older drawn under newer), with tooltip and popup;
 *   - one layer per interval with the added patches coloured by growth type;
 *   - image overlays, with an opacity slider;
 *   - a layer control, a legend and a provenance note;
 *   - a time control that steps through the epochs;
 *   - a swipe control comparing any two epochs, footprints and imagery alike (panes clipped
 *     with CSS, which works for vector layers and image overlays, not only tiles).
 * Text from the data is always inserted with textContent, never parsed as HTML.
 * The state is exposed as map.kaesong and KaesongMap.instances for tests and scripting.
 */
(function (global) {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function escapeHtml(text) {
    // Only for Leaflet's layer control, which inserts layer names as HTML.
    return String(text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function rowsTable(rows) {
    var table = el('table', 'ks-rows');
    rows.forEach(function (row) {
      var tr = el('tr');
      tr.appendChild(el('th', null, row[0]));
      tr.appendChild(el('td', null, row[1]));
      table.appendChild(tr);
    });
    return table;
  }

  function panel(className) {
    var div = el('div', 'ks-panel ' + className);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }

  function control(position, build) {
    var Ctl = L.Control.extend({ onAdd: build });
    return new Ctl({position: position});
  }

  function footprintLayer(epoch, pane) {
    return L.geoJSON(epoch.geojson, {
      pane: pane,
      style: function () {
        return {color: epoch.color, weight: 3, fillColor: epoch.color, fillOpacity: 0.22,
                dashArray: epoch.estimated ? '6 4' : null,
                className: 'ks-footprint ks-epoch-' + epoch.label};
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var tip = el('div', 'ks-tip');
        tip.appendChild(el('strong', null, 'Epoch ' + epoch.label + (p.name ? ': ' + p.name : '')));
        tip.appendChild(el('div', null, p.headline));
        layer.bindTooltip(tip, {sticky: true});
        var pop = el('div', 'ks-popup');
        pop.appendChild(el('h4', null, 'Epoch ' + epoch.label));
        pop.appendChild(rowsTable(epoch.rows));
        pop.appendChild(el('h5', null, 'This polygon' + (p.name ? ': ' + p.name : '')));
        pop.appendChild(rowsTable(p.rows));
        layer.bindPopup(pop, {maxWidth: 380});
      }
    });
  }

  function addedLayer(interval, colors) {
    return L.geoJSON(interval.geojson, {
      style: function (feature) {
        var c = colors[feature.properties.type];
        return {color: c, weight: 1, fillColor: c, fillOpacity: 0.55,
                className: 'ks-added ks-added-' + feature.properties.type};
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var tip = el('div');
        tip.appendChild(el('strong', null, 'Added ' + interval.start + ' to ' + interval.end));
        tip.appendChild(el('div', null, p.type + ', ' + p.area + ', LEI ' + p.lei));
        layer.bindTooltip(tip, {sticky: true});
      }
    });
  }

  function imageLayer(image, pane, opacity) {
    return L.imageOverlay(image.url, image.bounds, {pane: pane, opacity: opacity,
                                                     className: 'ks-image ks-image-' + image.epoch});
  }

  var instances = [];

  function init(map, config, baseLayers) {
    var state = {map: map, config: config, footprints: {}, added: [], images: {},
                 opacity: 0.85, current: null, swipe: null};
    map.kaesong = state;
    instances.push(state);

    // Base layers: the Folium tile layers plus a blank one for offline use.
    var bases = {};
    baseLayers.forEach(function (b) { bases[escapeHtml(b.name)] = b.layer; });
    var blank = L.layerGroup();
    bases['Blank (offline)'] = blank;
    if (!navigator.onLine) {
      baseLayers.forEach(function (b) { map.removeLayer(b.layer); });
      blank.addTo(map);
    }

    var overlays = {};
    config.imagery.forEach(function (image) {
      var layer = imageLayer(image, 'overlayPane', state.opacity);
      state.images[image.epoch] = layer;
      overlays['Imagery ' + escapeHtml(image.epoch)] = layer;
      layer.addTo(map);
    });
    config.epochs.forEach(function (epoch) {
      var layer = footprintLayer(epoch, 'overlayPane');
      state.footprints[epoch.label] = layer;
      overlays['Footprint ' + escapeHtml(epoch.label) + (epoch.estimated ? ' (estimated)' : '')] = layer;
      layer.addTo(map);
    });
    config.intervals.forEach(function (interval) {
      var layer = addedLayer(interval, config.growthColors);
      state.added.push(layer);
      overlays['Added ' + escapeHtml(interval.start) + ' to ' + escapeHtml(interval.end)] = layer;
    });
    state.layerControl = L.control.layers(bases, overlays, {collapsed: false, position: 'topright'}).addTo(map);

    state.restack = function () {
      config.epochs.forEach(function (epoch) {
        var layer = state.footprints[epoch.label];
        if (map.hasLayer(layer)) { layer.bringToFront(); }
      });
    };

    // Time control: show the footprint as of one epoch, or all of them.
    state.showEpoch = function (index) {
      state.stopSwipe();  // the time control acts on the ordinary layers
      state.current = index;
      config.epochs.forEach(function (epoch, i) {
        var layer = state.footprints[epoch.label];
        var show = index === null || i === index;
        if (show && !map.hasLayer(layer)) { map.addLayer(layer); }
        if (!show && map.hasLayer(layer)) { map.removeLayer(layer); }
      });
      state.restack();
      if (state.timeLabel) {
        var e = index === null ? null : config.epochs[index];
        state.timeLabel.textContent = e ? e.label + ': ' + e.headline : 'all epochs';
      }
    };
    control('bottomleft', function () {
      var div = panel('ks-time');
      div.appendChild(el('h4', null, 'Time'));
      var range = el('input');
      range.type = 'range'; range.min = 0; range.max = config.epochs.length - 1; range.step = 1;
      range.value = config.epochs.length - 1;
      range.className = 'ks-time-range';
      range.setAttribute('aria-label', 'epoch');
      var play = el('button', 'ks-time-play', 'Play');
      var all = el('button', 'ks-time-all', 'All');
      state.timeLabel = el('div', 'ks-time-label', 'all epochs');
      var timer = null;
      range.addEventListener('input', function () { state.showEpoch(parseInt(range.value, 10)); });
      all.addEventListener('click', function () { state.showEpoch(null); });
      play.addEventListener('click', function () {
        if (timer) { clearInterval(timer); timer = null; play.textContent = 'Play'; return; }
        play.textContent = 'Stop';
        var i = -1;
        timer = setInterval(function () {
          i += 1;
          if (i >= config.epochs.length) { clearInterval(timer); timer = null; play.textContent = 'Play'; return; }
          range.value = i; state.showEpoch(i);
        }, 1200);
      });
      div.appendChild(range); div.appendChild(play); div.appendChild(all); div.appendChild(state.timeLabel);
      return div;
    }).addTo(map);

    // Imagery opacity.
    if (config.imagery.length) {
      control('topright', function () {
        var div = panel('ks-opacity');
        var label = el('label', null, 'Imagery opacity ');
        var range = el('input');
        range.type = 'range'; range.min = 0; range.max = 100; range.value = Math.round(state.opacity * 100);
        range.className = 'ks-opacity-range';
        range.addEventListener('input', function () {
          state.opacity = range.value / 100;
          Object.keys(state.images).forEach(function (k) { state.images[k].setOpacity(state.opacity); });
          if (state.swipe) { state.swipe.images.forEach(function (l) { l.setOpacity(state.opacity); }); }
        });
        label.appendChild(range);
        div.appendChild(label);
        return div;
      }).addTo(map);
    }

    // Swipe comparison of two epochs.
    function makePane(name, z) {
      var pane = map.getPane(name) || map.createPane(name);
      pane.style.zIndex = z;
      return pane;
    }
    state.setSwipe = function (fraction) {
      if (!state.swipe) { return; }
      state.swipe.fraction = Math.max(0, Math.min(1, fraction));
      state.swipe.range.value = Math.round(state.swipe.fraction * 1000);
      state.updateSwipe();
    };
    state.updateSwipe = function () {
      var s = state.swipe;
      if (!s) { return; }
      var size = map.getSize();
      var x = s.fraction * size.x;
      var nw = map.containerPointToLayerPoint([0, 0]);
      var se = map.containerPointToLayerPoint(size);
      var clipX = nw.x + x;
      s.left.style.clip = 'rect(' + [nw.y, clipX, se.y, nw.x].join('px, ') + 'px)';
      s.right.style.clip = 'rect(' + [nw.y, se.x, se.y, clipX].join('px, ') + 'px)';
      s.divider.style.left = x + 'px';
      s.leftCaption.style.right = (size.x - x + 8) + 'px';
      s.rightCaption.style.left = (x + 8) + 'px';
    };
    state.startSwipe = function (leftLabel, rightLabel) {
      state.stopSwipe();
      var byLabel = {};
      config.epochs.forEach(function (e) { byLabel[e.label] = e; });
      var container = map.getContainer();
      var s = {leftLabel: leftLabel, rightLabel: rightLabel, fraction: 0.5, layers: [], images: [],
               hidden: [], left: makePane('ksLeft', 450), right: makePane('ksRight', 451)};
      [state.footprints, state.images].forEach(function (group) {
        Object.keys(group).forEach(function (k) {
          if (map.hasLayer(group[k])) { s.hidden.push(group[k]); map.removeLayer(group[k]); }
        });
      });
      [['ksLeft', leftLabel], ['ksRight', rightLabel]].forEach(function (side) {
        var epoch = byLabel[side[1]];
        config.imagery.forEach(function (image) {
          if (image.epoch === side[1]) {
            var img = imageLayer(image, side[0], state.opacity).addTo(map);
            s.images.push(img);
          }
        });
        s.layers.push(footprintLayer(epoch, side[0]).addTo(map));
      });
      s.range = el('input', 'ks-swipe-range');
      s.range.type = 'range'; s.range.min = 0; s.range.max = 1000; s.range.value = 500;
      s.range.setAttribute('aria-label', 'swipe position');
      ['mousedown', 'touchstart', 'pointerdown', 'dblclick', 'click'].forEach(function (ev) {
        L.DomEvent.on(s.range, ev, L.DomEvent.stopPropagation);
      });
      s.range.addEventListener('input', function () { s.fraction = s.range.value / 1000; state.updateSwipe(); });
      s.divider = el('div', 'ks-swipe-divider');
      s.leftCaption = el('div', 'ks-swipe-caption', leftLabel);
      s.rightCaption = el('div', 'ks-swipe-caption', rightLabel);
      [s.divider, s.leftCaption, s.rightCaption, s.range].forEach(function (n) { container.appendChild(n); });
      state.swipe = s;
      map.on('move zoom resize', state.updateSwipe);
      state.updateSwipe();
    };
    state.stopSwipe = function () {
      var s = state.swipe;
      if (!s) { return; }
      map.off('move zoom resize', state.updateSwipe);
      s.layers.concat(s.images).forEach(function (l) { map.removeLayer(l); });
      [s.divider, s.leftCaption, s.rightCaption, s.range].forEach(function (n) { n.parentNode.removeChild(n); });
      s.left.style.clip = ''; s.right.style.clip = '';
      s.hidden.forEach(function (l) { map.addLayer(l); });
      state.swipe = null;
      if (state.swipeButton) { state.swipeButton.textContent = 'Swipe'; }
      state.restack();
    };
    control('topleft', function () {
      var div = panel('ks-compare');
      div.appendChild(el('h4', null, 'Compare two epochs'));
      function picker(name, selected) {
        var select = el('select', 'ks-compare-' + name);
        select.setAttribute('aria-label', name + ' epoch');
        config.epochs.forEach(function (e) {
          var opt = el('option', null, e.label);
          opt.value = e.label;
          if (e.label === selected) { opt.selected = true; }
          select.appendChild(opt);
        });
        return select;
      }
      var first = config.epochs[0].label;
      var last = config.epochs[config.epochs.length - 1].label;
      var left = picker('left', first);
      var right = picker('right', last);
      var toggle = el('button', 'ks-compare-toggle', 'Swipe');
      state.swipeButton = toggle;
      function restart() { if (state.swipe) { state.startSwipe(left.value, right.value); } }
      left.addEventListener('change', restart);
      right.addEventListener('change', restart);
      toggle.addEventListener('click', function () {
        if (state.swipe) { state.stopSwipe(); }
        else { state.startSwipe(left.value, right.value); toggle.textContent = 'End swipe'; }
      });
      div.appendChild(left); div.appendChild(el('span', null, ' | ')); div.appendChild(right);
      div.appendChild(el('span', null, ' ')); div.appendChild(toggle);
      return div;
    }).addTo(map);

    // Legend and provenance note.
    control('bottomright', function () {
      var div = panel('ks-legend');
      div.appendChild(el('h4', null, 'Footprint by epoch'));
      config.epochs.forEach(function (e) {
        var row = el('div', 'ks-legend-row');
        var sw = el('span', 'ks-swatch');
        sw.style.background = e.color;
        row.appendChild(sw);
        row.appendChild(el('span', null, e.label + '  ' + e.headline));
        if (e.estimated) { row.appendChild(el('span', 'ks-flag', '  ESTIMATED')); }
        div.appendChild(row);
      });
      if (config.intervals.length) {
        div.appendChild(el('h4', null, 'Added area by growth type'));
        Object.keys(config.growthColors).forEach(function (type) {
          var row = el('div', 'ks-legend-row');
          var sw = el('span', 'ks-swatch');
          sw.style.background = config.growthColors[type];
          row.appendChild(sw);
          row.appendChild(el('span', null, type));
          div.appendChild(row);
        });
      }
      return div;
    }).addTo(map);
    control('bottomleft', function () {
      var div = panel('ks-notes');
      var details = el('details');
      details.appendChild(el('summary', null, config.provenanceTitle));
      var list = el('ol');
      config.notes.forEach(function (note) { list.appendChild(el('li', null, note)); });
      details.appendChild(list);
      div.appendChild(details);
      return div;
    }).addTo(map);

    state.restack();
    if (config.bounds) { map.fitBounds(config.bounds, {padding: [20, 20]}); }
    return state;
  }

  global.KaesongMap = {init: init, escapeHtml: escapeHtml, instances: instances};
}(window));
